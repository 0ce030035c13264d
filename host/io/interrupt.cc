#include "host/io/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace sasim {
namespace {

constexpr int kSlots = 32;
constexpr size_t kPathMax = 4096;

// A signal handler can reach only global state; this is the one place sasim keeps any.
struct Slot {
  std::atomic<int> state{0};  // 0 free, 1 file, 2 directory, 3 being filled
  char path[kPathMax];
};

Slot* Slots() {
  static Slot slots[kSlots];
  return slots;
}

void OnSignal(int sig) {
  Slot* slots = Slots();
  for (int i = kSlots - 1; i >= 0; --i) {  // newest first: files before their directories
    const int state = slots[i].state.load();
    if (state == 1) ::unlink(slots[i].path);
    if (state == 2) ::rmdir(slots[i].path);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

sigset_t InterruptSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void InstallInterruptCleanup() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, SIGTERM);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

CleanupOnInterrupt::CleanupOnInterrupt(const std::string& path, bool directory) {
  if (path.size() >= kPathMax) return;
  Slot* slots = Slots();
  for (int i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (slots[i].state.compare_exchange_strong(expected, 3)) {
      std::memcpy(slots[i].path, path.c_str(), path.size() + 1);
      slots[i].state.store(directory ? 2 : 1);
      slot_ = i;
      return;
    }
  }
}

CleanupOnInterrupt::~CleanupOnInterrupt() {
  if (slot_ >= 0) Slots()[slot_].state.store(0);
}

DeferInterrupts::DeferInterrupts() {
  const sigset_t set = InterruptSignals();
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

DeferInterrupts::~DeferInterrupts() {
  const sigset_t set = InterruptSignals();
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace sasim
