#include "sim/worker_processes.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <new>

#include <fmt/core.h>

#include "contract/errors.h"

namespace sasim {
namespace {

// What a child sends: one status byte, then the result or the error message.
enum Status : uint8_t { kOk = 0, kInput, kCompile, kSimulation, kOther, kNoMemory };

void WriteAll(int fd, const std::string& bytes) {
  size_t at = 0;
  while (at < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + at, bytes.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(3);  // the parent is gone
    at += static_cast<size_t>(n);
  }
}

[[noreturn]] void RunChild(int fd, pid_t parent, const std::function<std::string()>& task) {
  signal(SIGINT, SIG_DFL);  // the parent cleans up its own files; a child just stops
  signal(SIGTERM, SIG_DFL);
  // A parent killed outright (SIGKILL) takes its workers with it instead of leaving them to
  // simulate for nobody.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(4);
  std::string message;
  Status status = kOk;
  try {
    message = task();
  } catch (const InputError& e) {
    status = kInput, message = e.what();
  } catch (const CompileError& e) {
    status = kCompile, message = e.what();
  } catch (const SimulationError& e) {
    status = kSimulation, message = e.what();
  } catch (const std::bad_alloc&) {
    status = kNoMemory;
  } catch (const std::exception& e) {
    status = kOther, message = e.what();
  } catch (...) {
    status = kOther, message = "unknown exception";
  }
  // Status, message, then the message's length: a message cut short is told from a whole one.
  const uint64_t size = message.size();
  WriteAll(fd, std::string(1, static_cast<char>(status)) + message +
                   std::string(reinterpret_cast<const char*>(&size), sizeof size));
  close(fd);
  std::fflush(nullptr);
  _exit(0);  // no destructors or atexit handlers of the parent's objects
}

std::string HowItDied(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    return fmt::format("died of signal {} ({})", WTERMSIG(wait_status),
                       strsignal(WTERMSIG(wait_status)));
  }
  if (WIFEXITED(wait_status)) {
    return fmt::format("exited with code {} without a result", WEXITSTATUS(wait_status));
  }
  return "stopped without a result";
}

}  // namespace

void ByteReader::Raw(void* p, size_t n) {
  if (n > in_.size() - at_) throw SimulationError("worker result: message too short");
  std::memcpy(p, in_.data() + at_, n);
  at_ += n;
}

uint64_t ByteReader::U64Bounded() {
  const uint64_t n = U64();
  if (n > in_.size() - at_) throw SimulationError("worker result: message too short");
  return n;
}

std::vector<std::string> RunInProcesses(int count, const std::function<std::string(int)>& task,
                                        const std::function<std::string(int)>& describe) {
  struct Child {
    pid_t pid = -1;
    int fd = -1;
    std::string bytes;
    int wait_status = 0;
    bool reaped = false;
    bool killed = false;  // SIGKILLed by us, after another worker failed
  };
  std::vector<Child> children(count);
  const pid_t parent = getpid();
  std::fflush(nullptr);  // nothing buffered is written twice
  for (int i = 0; i < count; ++i) {
    // A failed set-up stops and reaps the workers already started, closing their pipes.
    auto failed = [&](const char* what) {
      const std::string why = fmt::format("{}: {}", what, std::strerror(errno));
      for (int j = 0; j < i; ++j) {
        close(children[j].fd);
        kill(children[j].pid, SIGKILL);
        while (waitpid(children[j].pid, nullptr, 0) < 0 && errno == EINTR) {
        }
      }
      return SimulationError(why);
    };
    int fds[2];
    if (pipe(fds) != 0) throw failed("pipe");
    const pid_t pid = fork();
    if (pid < 0) {
      const SimulationError error = failed("fork");
      close(fds[0]);
      close(fds[1]);
      throw error;
    }
    if (pid == 0) {
      close(fds[0]);
      for (int j = 0; j < i; ++j) close(children[j].fd);
      RunChild(fds[1], parent, [&] { return task(i); });
    }
    close(fds[1]);
    children[i].pid = pid;
    children[i].fd = fds[0];
  }

  // Read every pipe to its end; a child that failed stops the others.
  int open_fds = count;
  bool stopping = false;
  std::vector<char> buffer(1 << 16);
  while (open_fds > 0) {
    std::vector<pollfd> polls;
    std::vector<int> which;
    for (int i = 0; i < count; ++i) {
      if (children[i].fd < 0) continue;
      polls.push_back({children[i].fd, POLLIN, 0});
      which.push_back(i);
    }
    if (poll(polls.data(), polls.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (size_t k = 0; k < polls.size(); ++k) {
      if (!polls[k].revents) continue;
      Child& c = children[which[k]];
      const ssize_t n = read(c.fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        c.bytes.append(buffer.data(), static_cast<size_t>(n));
        continue;
      }
      close(c.fd);
      c.fd = -1;
      --open_fds;
      if (!stopping && (c.bytes.size() <= sizeof(uint64_t) || c.bytes[0] != kOk)) {
        stopping = true;
        for (Child& other : children) {
          if (other.fd >= 0) {
            kill(other.pid, SIGKILL);
            other.killed = true;
          }
        }
      }
    }
  }
  for (Child& c : children) {
    if (c.fd >= 0) close(c.fd);
    while (waitpid(c.pid, &c.wait_status, 0) < 0 && errno == EINTR) {
    }
  }

  std::vector<std::string> results;
  for (int i = 0; i < count; ++i) {
    Child& c = children[i];
    // Whole: status byte, message, and the message's length, which matches.
    uint64_t size = 0;
    bool whole = c.bytes.size() >= 1 + sizeof size;
    if (whole) {
      std::memcpy(&size, c.bytes.data() + c.bytes.size() - sizeof size, sizeof size);
      whole = size == c.bytes.size() - 1 - sizeof size;
    }
    if (!whole) {
      if (c.killed) continue;  // the failure that stopped it is reported instead
      throw SimulationError(
          fmt::format("{}: the worker process {}", describe(i), HowItDied(c.wait_status)));
    }
    const auto status = static_cast<Status>(c.bytes[0]);
    const std::string payload = c.bytes.substr(1, size);
    const std::string message = fmt::format("{}: {}", describe(i), payload);
    switch (status) {
      case kOk:
        results.push_back(payload);
        break;
      case kInput:
        throw InputError(message);
      case kCompile:
        throw CompileError(message);
      case kSimulation:
        throw SimulationError(message);
      case kNoMemory:
        throw std::bad_alloc();
      default:
        throw SimulationError(message);
    }
  }
  if (static_cast<int>(results.size()) != count) {
    throw SimulationError("a worker process was stopped without a result");
  }
  return results;
}

}  // namespace sasim
