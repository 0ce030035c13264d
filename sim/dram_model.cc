#include "sim/dram_model.h"

#include <algorithm>
#include <cstring>

#include <fmt/core.h>

#include "contract/errors.h"

namespace sasim {

DramModel::DramModel(const HwConfig& hw)
    : data_(static_cast<size_t>(hw.dram_mib) << 20),
      latency_(hw.dram_latency_cycles),
      bytes_per_cycle_(std::max<uint32_t>(1, hw.dram_bytes_per_cycle)) {}

void DramModel::Check(uint32_t addr, size_t size, const char* who) const {
  if (static_cast<uint64_t>(addr) + size > data_.size()) {
    throw SimulationError(fmt::format("{}: access of {} bytes at 0x{:x} is outside the {} MiB "
                                      "DRAM", who, size, addr, data_.size() >> 20));
  }
}

void DramModel::Read(uint32_t addr, uint8_t* data, size_t size, const char* who) const {
  Check(addr, size, who);
  std::memcpy(data, &data_[addr], size);
}

void DramModel::Write(uint32_t addr, const uint8_t* data, size_t size, const char* who) {
  Check(addr, size, who);
  std::memcpy(&data_[addr], data, size);
}

uint64_t DramModel::Schedule(uint64_t now, uint32_t bytes) {
  const uint64_t start = std::max(now + latency_, channel_free_);
  const uint64_t busy = (bytes + bytes_per_cycle_ - 1) / bytes_per_cycle_;
  channel_free_ = start + busy;
  return start + busy - 1;
}

uint64_t DirectDramPort::Read(uint64_t now, uint32_t addr, uint8_t* data, uint32_t size) {
  dram_->Read(addr, data, size, "accelerator DMA read");
  dram_->CountRead(size);
  return dram_->Schedule(now, size);
}

uint64_t DirectDramPort::Write(uint64_t now, uint32_t addr, const uint8_t* data, uint32_t size) {
  dram_->Write(addr, data, size, "accelerator DMA write");
  dram_->CountWrite(size);
  return dram_->Schedule(now, size);
}

}  // namespace sasim
