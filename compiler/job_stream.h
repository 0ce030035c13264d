// The command stream of one layer as the emitters write it, with the job bookkeeping they share:
// LOAD/STORE/SNAPSHOT are DMA jobs and COMPUTE/VECTOR compute jobs, each engine finishing its
// jobs in order. DMA jobs wait in the engine's queue and run two at a time (isa::kDmaQueueDepth,
// kDmaSlots), so issuing DMA job n implies only that jobs up to n - 1 - kDmaQueueDepth -
// kDmaSlots + 1 are done; a VECTOR is dispatched only when the
// compute engine is idle, so it implies every earlier compute job is; a COMPUTE may start while
// the one before it still drains (docs/isa.md), so it implies nothing. A SYNC is written only for a
// dependency not already implied. Internal to the compiler.
#ifndef SASIM_COMPILER_JOB_STREAM_H_
#define SASIM_COMPILER_JOB_STREAM_H_

#include <algorithm>
#include <cstdint>
#include <vector>

#include "compiler/layer_compiler.h"
#include "contract/isa.h"

namespace sasim::compiler {

class JobStream {
 public:
  // `dma_jobs` / `compute_jobs`: the jobs issued before this layer in the same stream (SYNC
  // targets are absolute); Finish() advances them past this layer.
  JobStream(std::vector<isa::CommandWords>* out, uint32_t dma_jobs, uint32_t compute_jobs)
      : out_(out), known_dma_(dma_jobs), known_compute_(compute_jobs),
        issued_compute_(compute_jobs), next_dma_(dma_jobs), next_compute_(compute_jobs) {}

  // Waits (SYNC) until `dma` DMA jobs and `compute` compute jobs are done, unless known done.
  void Require(uint32_t dma, uint32_t compute) {
    if (dma > known_dma_ || compute > known_compute_) {
      known_dma_ = std::max(dma, known_dma_);
      known_compute_ = std::max(compute, known_compute_);
      issued_compute_ = std::max(issued_compute_, known_compute_);
      out_->push_back(isa::EncodeSync({known_dma_, known_compute_}));
      ++stats_.syncs;
    }
  }
  // Waits until compute job `compute` has read its inputs (its buffers may be overwritten): a
  // COMPUTE is taken only once the one before it has issued every step, so this is implied by
  // any later COMPUTE's dispatch; else a SYNC on its completion.
  void RequireIssued(uint32_t compute) {
    if (compute > issued_compute_) Require(0, compute);
  }
  // Issues a LOAD or STORE; returns its job number (Require(job, 0) waits for it).
  uint32_t Transfer(isa::Opcode op, const isa::Transfer& t) {
    out_->push_back(isa::EncodeTransfer(op, t));
    ++(op == isa::Opcode::kLoad ? stats_.loads : stats_.stores);
    constexpr uint32_t kUnfinished = isa::kDmaQueueDepth + isa::kDmaSlots - 1;
    if (next_dma_ > kUnfinished) known_dma_ = std::max(known_dma_, next_dma_ - kUnfinished);
    return ++next_dma_;
  }
  // Issues a COMPUTE or VECTOR; returns its job number.
  uint32_t Compute(const isa::CommandWords& command) {
    out_->push_back(command);
    ++stats_.computes;
    if (isa::DecodeOpcode(command) == isa::Opcode::kVector) {
      known_compute_ = std::max(known_compute_, next_compute_);
    }
    issued_compute_ = std::max(issued_compute_, next_compute_);
    issued_compute_ = std::max(issued_compute_, known_compute_);
    return ++next_compute_;
  }
  CommandStats Finish(uint32_t* dma_jobs, uint32_t* compute_jobs) const {
    *dma_jobs = next_dma_;
    *compute_jobs = next_compute_;
    return stats_;
  }

 private:
  std::vector<isa::CommandWords>* out_;
  uint32_t known_dma_, known_compute_;  // jobs known to be done
  uint32_t issued_compute_;             // compute jobs known to have read all their inputs
  uint32_t next_dma_, next_compute_;    // jobs issued
  CommandStats stats_;
};

}  // namespace sasim::compiler

#endif  // SASIM_COMPILER_JOB_STREAM_H_
