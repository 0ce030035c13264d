// Work split over forked processes (sim/worker_processes.h): results come back in task order,
// a task's exception comes back with its type and the task named, and a process that dies is
// an error naming it, never a hang.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "contract/errors.h"
#include "sim/worker_processes.h"

namespace sasim {
namespace {

std::string Name(int i) { return "task " + std::to_string(i); }

TEST(WorkerProcessesTest, ResultsComeBackInTaskOrderFromOtherProcesses) {
  const pid_t parent = getpid();
  const auto results = RunInProcesses(
      3,
      [&](int i) {
        // A result larger than a pipe's buffer, made in another process.
        ByteWriter w;
        w.U64(static_cast<uint64_t>(i));
        w.U64(getpid() != parent);
        w.Bytes(std::vector<uint8_t>(200000 + i, static_cast<uint8_t>(i)));
        return w.Take();
      },
      Name);
  ASSERT_EQ(results.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    ByteReader r(results[i]);
    EXPECT_EQ(r.U64(), static_cast<uint64_t>(i));
    EXPECT_EQ(r.U64(), 1u) << "task " << i << " ran in the parent";
    EXPECT_EQ(r.Bytes(), std::vector<uint8_t>(200000 + i, static_cast<uint8_t>(i)));
  }
}

TEST(WorkerProcessesTest, AnExceptionComesBackWithItsTypeAndTheTaskNamed) {
  const auto task = [](int i) -> std::string {
    if (i == 1) throw InputError("bad weights");
    if (i == 2) {
      // Fails later: task 1's failure stops it (which of two failures is told depends on
      // which ends first).
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      throw SimulationError("watchdog: no progress");
    }
    return "ok";
  };
  try {
    RunInProcesses(3, task, Name);
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "task 1: bad weights");
  }
  try {
    RunInProcesses(
        2,
        [](int i) -> std::string {
          if (i == 1) throw SimulationError("watchdog: no progress");
          return "ok";
        },
        Name);
    FAIL() << "no exception";
  } catch (const SimulationError& e) {
    EXPECT_EQ(std::string(e.what()), "task 1: watchdog: no progress");
  }
}

// The SimulationError of RunInProcesses(count, task), which must throw one.
std::string ErrorOf(int count, const std::function<std::string(int)>& task) {
  try {
    RunInProcesses(count, task, Name);
  } catch (const SimulationError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no SimulationError";
  return "";
}

TEST(WorkerProcessesTest, AProcessThatDiesIsAnErrorNamingIt) {
  // SIGTERM, not SIGSEGV (ASan, `make asan`, catches a SEGV and exits with a code) nor SIGKILL
  // (what the parent sends to stop the others).
  std::string error = ErrorOf(2, [](int i) -> std::string {
    if (i == 0) raise(SIGTERM);
    return "ok";
  });
  EXPECT_NE(error.find("task 0: the worker process died of signal 15"), std::string::npos) << error;
  // Killed from outside (as by the out-of-memory killer) with the signal the parent uses to stop
  // the others: still named, not taken for one the parent stopped.
  error = ErrorOf(2, [](int i) -> std::string {
    if (i == 1) raise(SIGKILL);
    return "ok";
  });
  EXPECT_NE(error.find("task 1: the worker process died of signal 9"), std::string::npos) << error;
  EXPECT_EQ(ErrorOf(1, [](int) -> std::string { _exit(7); }),
            "task 0: the worker process exited with code 7 without a result");
}

TEST(WorkerProcessesTest, AFailureStopsTheOthersInsteadOfWaitingForThem) {
  // Task 1 would run for 10 minutes; task 0's failure must end the call long before.
  const auto start = time(nullptr);
  EXPECT_THROW(RunInProcesses(
                   2,
                   [](int i) -> std::string {
                     if (i == 0) throw SimulationError("failed");
                     sleep(600);
                     return "ok";
                   },
                   Name),
               SimulationError);
  EXPECT_LT(time(nullptr) - start, 60);
}

// Whether `pid` has ended (gone, or a zombie waiting for its new parent to reap it).
bool Ended(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const size_t paren = line.rfind(')');
  return paren == std::string::npos || line.substr(paren + 2, 1) == "Z";
}

TEST(WorkerProcessesTest, WorkersDieWithAParentKilledOutright) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t parent = fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {  // a parent whose worker tells its pid, then would run for 10 minutes
    close(fds[0]);
    RunInProcesses(
        1,
        [&](int) -> std::string {
          const pid_t me = getpid();
          if (write(fds[1], &me, sizeof me) != sizeof me) _exit(1);
          sleep(600);
          return "";
        },
        Name);
    _exit(0);
  }
  close(fds[1]);
  pid_t worker = 0;
  ASSERT_EQ(read(fds[0], &worker, sizeof worker), static_cast<ssize_t>(sizeof worker));
  close(fds[0]);
  kill(parent, SIGKILL);
  waitpid(parent, nullptr, 0);
  const auto start = time(nullptr);
  while (!Ended(worker) && time(nullptr) - start < 10) usleep(10000);
  EXPECT_TRUE(Ended(worker)) << "worker " << worker << " outlived its parent";
  if (!Ended(worker)) kill(worker, SIGKILL);
}

TEST(WorkerProcessesTest, AShortMessageIsRefused) {
  ByteWriter w;
  w.U64(1000);  // says 1000 bytes follow; none do
  const std::string bytes = w.Take();
  ByteReader r(bytes);
  EXPECT_THROW(r.Bytes(), SimulationError);
}

}  // namespace
}  // namespace sasim
