// include/cmwq/control.hpp - the control socket: let wqctl see and tune this process.
//
//   cmwq::control::start()        serve $XDG_RUNTIME_DIR/cmwq/<pid>.sock (CMWQ_CONTROL=1 also does).
//   cmwq::control::stop()         stop serving and remove the socket (also done at exit).
//   cmwq::control::socket_path()  where this process serves; empty when it does not.
//
// Only peers with this process's uid are served (SO_PEERCRED); the socket is 0600 in a 0700
// directory. The server thread never blocks the engine: a slow or stuck client is disconnected.
// Protocol and wqctl: docs/control.md.
#pragma once

#include <string>
#include <system_error>

namespace cmwq::control {

// control::start() - idempotent; may block briefly. Errors: errc::operation_not_permitted when
// the directory is not ours or not 0700; the socket's errors otherwise.
std::error_code start() noexcept;
void stop() noexcept;
std::string socket_path();

}  // namespace cmwq::control
