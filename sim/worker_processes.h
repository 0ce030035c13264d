// Work split over processes: each task runs in a process of its own (fork), so each may build
// its own device (SystemC's kernel is one per process), and sends its result back as bytes
// over a pipe. Used by RunNetwork to run groups of layers, or shares of a dataset, in parallel.
//
// Fork before any device or SystemC object exists and while the process has one thread: the
// child is a copy of the parent's memory (the prepared run), nothing else.
#ifndef SASIM_SIM_WORKER_PROCESSES_H_
#define SASIM_SIM_WORKER_PROCESSES_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sasim {

// Runs task(i) for i in [0, count), each in its own child process, all at once; returns each
// task's result in task order. What a task throws is carried back and rethrown in the parent
// with its type (InputError, CompileError, SimulationError; anything else as a
// SimulationError), its message prefixed with `describe(i)`; when several fail, the first in
// task order. A child that dies (a signal, an exit without a result) is a SimulationError
// naming the task and how it died. When one task fails the others are stopped (SIGKILL, by
// their pids) rather than waited for; when the parent dies, its children die with it
// (PR_SET_PDEATHSIG).
std::vector<std::string> RunInProcesses(int count, const std::function<std::string(int)>& task,
                                        const std::function<std::string(int)>& describe);

// Plain binary serialization of what a task sends back.
class ByteWriter {
 public:
  void U64(uint64_t v) { Raw(&v, sizeof v); }
  void Bytes(const std::vector<uint8_t>& v) {
    U64(v.size());
    Raw(v.data(), v.size());
  }
  void Raw(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what a ByteWriter wrote; throws SimulationError on a short message.
class ByteReader {
 public:
  explicit ByteReader(const std::string& in) : in_(in) {}
  uint64_t U64() {
    uint64_t v = 0;
    Raw(&v, sizeof v);
    return v;
  }
  std::vector<uint8_t> Bytes() {
    std::vector<uint8_t> v(U64Bounded());
    Raw(v.data(), v.size());
    return v;
  }
  void Raw(void* p, size_t n);

 private:
  uint64_t U64Bounded();
  const std::string& in_;
  size_t at_ = 0;
};

}  // namespace sasim

#endif  // SASIM_SIM_WORKER_PROCESSES_H_
