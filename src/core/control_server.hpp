// src/core/control_server.hpp - the control socket: a process serving its queues, workers,
// dumps and WQ_SYSFS attributes to wqctl (docs/control.md).
//
//   cmwq::core::control_start()       serve the socket (also CMWQ_CONTROL=1 at engine start-up).
//   cmwq::core::control_stop()        stop serving and remove the socket.
//   cmwq::core::control_socket_path() where this process serves (empty when not serving).
//   cmwq::core::control_dir()         the directory every cmwq process of this user serves in.
//   cmwq::core::control_handle()      one request object in, one reply object out.
//
// The socket is $XDG_RUNTIME_DIR/cmwq/<pid>.sock, or /tmp/cmwq-<uid>/<pid>.sock without
// XDG_RUNTIME_DIR; the directory is 0700 and must belong to the user, the socket is 0600, and a
// peer whose uid differs from ours (SO_PEERCRED) is refused even if the modes were opened up.
#pragma once

#include <string>

#include "control_json.hpp"

namespace cmwq::core {

inline constexpr int control_protocol_version = 1;

// control_start() - starts the server thread. Idempotent. Returns 0 or -errno (the directory
// is not ours or not 0700: -EPERM; socket errors as the system gives them).
int control_start() noexcept;

// control_stop() - stops the server thread, closes every connection and unlinks the socket.
// May block until the thread has left its poll loop (milliseconds).
void control_stop() noexcept;

std::string control_socket_path();

// control_dir() - the directory for this user's sockets (not created).
std::string control_dir();

// control_prepare_dir() - creates `dir` (0700) if missing and checks that it belongs to us and
// that nobody else may enter it. Returns 0 or -errno.
int control_prepare_dir(const std::string& dir) noexcept;

// control_handle() - the reply to one request (control_handlers.cpp). Never throws.
json control_handle(const json& request) noexcept;

// Called once at engine start-up: starts the server if CMWQ_CONTROL=1 (warns on a value other
// than 0 or 1).
void control_autostart_from_env() noexcept;

}  // namespace cmwq::core
