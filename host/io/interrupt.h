// Cleanup on SIGINT/SIGTERM: temporary files and directories a run created are removed before
// the process dies, so an interrupted run leaves nothing half-written. The handler only calls
// async-signal-safe functions (unlink, rmdir, raise) on paths registered beforehand.
#ifndef SASIM_HOST_IO_INTERRUPT_H_
#define SASIM_HOST_IO_INTERRUPT_H_

#include <string>

namespace sasim {

// Installs the handlers (idempotent). After cleanup the signal is re-raised with its default
// action, so the exit status says the process was interrupted.
void InstallInterruptCleanup();

// A path removed on interrupt while this object lives: a file (unlink) or an empty directory
// (rmdir; a directory with files in it is left alone). At most 32 at once.
class CleanupOnInterrupt {
 public:
  CleanupOnInterrupt(const std::string& path, bool directory);
  ~CleanupOnInterrupt();
  CleanupOnInterrupt(const CleanupOnInterrupt&) = delete;
  CleanupOnInterrupt& operator=(const CleanupOnInterrupt&) = delete;

 private:
  int slot_ = -1;
};

// Blocks SIGINT/SIGTERM while it lives (a commit of report files is not interrupted halfway).
class DeferInterrupts {
 public:
  DeferInterrupts();
  ~DeferInterrupts();
  DeferInterrupts(const DeferInterrupts&) = delete;
  DeferInterrupts& operator=(const DeferInterrupts&) = delete;
};

}  // namespace sasim

#endif  // SASIM_HOST_IO_INTERRUPT_H_
