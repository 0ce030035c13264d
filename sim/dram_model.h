// DRAM as the accelerator sees it: storage plus a timing model of one channel. A burst of B
// bytes asked for at cycle t starts at max(t + latency, channel free) and occupies the channel
// for ceil(B / bytes_per_cycle) cycles; reads and writes share the channel.
#ifndef SASIM_SIM_DRAM_MODEL_H_
#define SASIM_SIM_DRAM_MODEL_H_

#include <cstdint>

#include "contract/hw_config.h"
#include "contract/zeroed_bytes.h"

namespace sasim {

class DramModel {
 public:
  explicit DramModel(const HwConfig& hw);

  // Copies in or out; throws SimulationError naming `who` when outside the DRAM.
  void Read(uint32_t addr, uint8_t* data, size_t size, const char* who) const;
  void Write(uint32_t addr, const uint8_t* data, size_t size, const char* who);
  // Books the channel for a burst asked for at `now`; returns the cycle of its last beat.
  uint64_t Schedule(uint64_t now, uint32_t bytes);

  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return bytes_written_; }
  void CountRead(uint32_t bytes) { bytes_read_ += bytes; }
  void CountWrite(uint32_t bytes) { bytes_written_ += bytes; }

 private:
  void Check(uint32_t addr, size_t size, const char* who) const;

  ZeroedBytes data_;
  uint32_t latency_;
  uint32_t bytes_per_cycle_;
  uint64_t channel_free_ = 0;
  uint64_t bytes_read_ = 0;
  uint64_t bytes_written_ = 0;
};

// The accelerator's DMA master port: direct calls (bare core) or TLM (sim/platform.h).
class DramPort {
 public:
  virtual ~DramPort() = default;
  // Returns the cycle at which the burst's last beat is transferred.
  virtual uint64_t Read(uint64_t now, uint32_t addr, uint8_t* data, uint32_t size) = 0;
  virtual uint64_t Write(uint64_t now, uint32_t addr, const uint8_t* data, uint32_t size) = 0;
};

class DirectDramPort : public DramPort {
 public:
  explicit DirectDramPort(DramModel* dram) : dram_(dram) {}
  uint64_t Read(uint64_t now, uint32_t addr, uint8_t* data, uint32_t size) override;
  uint64_t Write(uint64_t now, uint32_t addr, const uint8_t* data, uint32_t size) override;

 private:
  DramModel* dram_;
};

}  // namespace sasim

#endif  // SASIM_SIM_DRAM_MODEL_H_
