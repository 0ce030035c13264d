#include "host/device/functional_device.h"

#include "contract/counters.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <fmt/core.h>

#include "contract/errors.h"
#include "contract/quant.h"

namespace sasim {

using isa::Counter;

FunctionalDevice::FunctionalDevice(const HwConfig& hw)
    : hw_(hw),
      dram_(static_cast<size_t>(hw.dram_mib) << 20),
      abuf_(hw.abuf_words()),
      wbuf_(hw.wbuf_words()),
      obuf_(hw.obuf_words()),
      pe_acc_(hw.array_rows, std::vector<int32_t>(hw.array_cols, 0)) {}

void FunctionalDevice::Reject(const std::string& why) const {
  throw SimulationError(fmt::format("functional device: command #{} ({}): {}", cmd_index_,
                                    isa::Describe(command_), why));
}

void FunctionalDevice::CheckDram(uint32_t addr, size_t size, const char* what) const {
  if (static_cast<uint64_t>(addr) + size > dram_.size()) {
    throw SimulationError(fmt::format("functional device: {} of {} bytes at 0x{:x} is outside "
                                      "the {} MiB DRAM", what, size, addr, hw_.dram_mib));
  }
}

void FunctionalDevice::DramWrite(uint32_t addr, const uint8_t* data, size_t size) {
  CheckDram(addr, size, "host write");
  std::memcpy(&dram_[addr], data, size);
}

void FunctionalDevice::DramRead(uint32_t addr, uint8_t* data, size_t size) {
  CheckDram(addr, size, "host read");
  std::memcpy(data, &dram_[addr], size);
}

void FunctionalDevice::MmioWrite(uint32_t offset, uint32_t value) {
  namespace csr = isa::csr;
  switch (offset) {
    case csr::kCtrl:
      if (value & 1) Run();
      break;
    case csr::kIrqEnable:
      irq_enable_ = value & 1;
      break;
    case csr::kIrqStatus:
      if (value & 1) irq_pending_ = false;
      break;
    case csr::kCmdBase:
      cmd_base_ = value;
      break;
    default:
      break;
  }
}

uint32_t FunctionalDevice::MmioRead(uint32_t offset) {
  namespace csr = isa::csr;
  switch (offset) {
    case csr::kId: return csr::kIdValue;
    case csr::kConfig: return static_cast<uint32_t>(hw_.array_rows | (hw_.array_cols << 8));
    case csr::kStatus: return (done_ ? 2u : 0u) | (error_ ? 4u : 0u);
    case csr::kIrqEnable: return irq_enable_;
    case csr::kIrqStatus: return irq_pending_;
    case csr::kCmdBase: return cmd_base_;
    case csr::kCmdIndex: return cmd_index_;
    case csr::kCtrlState:
      return static_cast<uint32_t>(error_ ? isa::CtrlState::kError : isa::CtrlState::kDone);
    case csr::kLastOpcode: return last_opcode_;
    default: break;
  }
  if (offset >= csr::kCounterBase && offset < csr::kCounterBase + 8 * isa::kNumCounters) {
    const uint64_t v = counters_[(offset - csr::kCounterBase) / 8];
    return (offset & 4) ? static_cast<uint32_t>(v >> 32) : static_cast<uint32_t>(v);
  }
  return 0;
}

void FunctionalDevice::WaitForIrq() {
  if (!(irq_enable_ && irq_pending_)) {
    throw SimulationError("functional device: waiting for an interrupt that will never come "
                          "(interrupt disabled or no run started)");
  }
}

void FunctionalDevice::Run() {
  counters_.fill(0);
  done_ = error_ = false;
  cmd_index_ = 0;
  uint32_t addr = cmd_base_;
  for (;;) {
    CheckDram(addr, isa::kCommandBytes, "command fetch");
    isa::CommandWords w;
    std::memcpy(w.data(), &dram_[addr], isa::kCommandBytes);
    Count(Counter::kCmdFetchBytes, isa::kCommandBytes);
    addr += isa::kCommandBytes;
    last_opcode_ = w[0] & 0xff;
    command_ = w;
    const isa::Opcode op = isa::DecodeOpcode(w);
    switch (op) {
      case isa::Opcode::kEnd:
        Count(Counter::kCommands, 1);
        ++cmd_index_;
        done_ = true;
        irq_pending_ = true;
        return;
      case isa::Opcode::kLoad:
      case isa::Opcode::kStore:
        Transfer(op, isa::DecodeTransfer(w));
        break;
      case isa::Opcode::kCompute:
        Compute(isa::DecodeCompute(w));
        break;
      case isa::Opcode::kVector:
        Vector(isa::DecodeVector(w));
        break;
      case isa::Opcode::kSync:
        break;  // everything here completes in order
      case isa::Opcode::kSnapshot: {
        const uint32_t at = isa::DecodeSnapshotAddr(w);
        CheckDram(at, isa::kSnapshotBytes, "SNAPSHOT");
        SnapshotFromCounters(counters_, &dram_[at]);
        break;
      }
      default:
        error_ = true;
        irq_pending_ = true;
        return;
    }
    Count(Counter::kCommands, 1);
    ++cmd_index_;
  }
}

void FunctionalDevice::Transfer(isa::Opcode op, const isa::Transfer& t) {
  const bool load = op == isa::Opcode::kLoad;
  std::vector<Word>& buf = !load ? obuf_ : (t.buffer == isa::Buffer::kAct ? abuf_ : wbuf_);
  for (uint32_t r = 0; r < t.rows; ++r) {
    const uint32_t dram = t.dram_addr + r * t.dram_stride;
    CheckDram(dram, static_cast<size_t>(t.row_words) * 16, load ? "LOAD" : "STORE");
    for (uint32_t i = 0; i < t.row_words; ++i) {
      const uint32_t word = (t.sram_addr + r * t.sram_stride + i) & 0xffff;
      if (word >= buf.size()) {
        throw SimulationError(fmt::format("functional device: {} word {} outside the {}-word "
                                          "buffer", load ? "LOAD" : "STORE", word, buf.size()));
      }
      if (load) {
        std::memcpy(buf[word].data(), &dram_[dram + 16 * i], 16);
      } else {
        std::memcpy(&dram_[dram + 16 * i], buf[word].data(), 16);
      }
    }
  }
  const uint64_t words = static_cast<uint64_t>(t.rows) * t.row_words;
  if (load) {
    Count(Counter::kDramReadBytes, 16 * words);
    Count(t.buffer == isa::Buffer::kAct ? Counter::kAbufWrites : Counter::kWbufWrites, words);
  } else {
    Count(Counter::kDramWriteBytes, 16 * words);
    Count(Counter::kObufReads, words);
  }
}

// Walks the folds exactly as sa_compute does: rows take consecutive pixels (window by window
// when pooling), each fold runs every reduction step (channel block, ky, kx, channel). The PE
// accumulators (pe_acc_) start from the biases on a fold's first step, or continue (acc_in); a
// fold drains through the requantizers unless it keeps its sums (acc_out).
void FunctionalDevice::Compute(const isa::Compute& c) {
  const int rows = hw_.array_rows;
  const uint32_t pixels = c.out_rows * c.out_width;
  // What sa_compute asserts (CommandNotEmpty, NValidFits, PartialSumsOneFold).
  if (c.channels == 0 || c.kernel_h == 0 || c.kernel_w == 0 || c.out_rows == 0 ||
      c.out_width == 0 || c.n_valid == 0) {
    Reject("COMPUTE with an empty reduction, output or channel tile");
  }
  // A narrow array (4 or 8 columns) uses lanes of one word for a step's weights and writes its
  // lanes of a row's output word, from lane_off.
  const int cols = hw_.array_cols, col_words = std::max(1, cols / 16);
  if (cols < 16 && c.lane_off + cols > 16) {
    Reject(fmt::format("lane_off {} puts {} columns past the word's 16 lanes", c.lane_off, cols));
  }
  if (c.n_valid > static_cast<uint32_t>(cols)) {
    Reject(fmt::format("n_valid {} is more than the {} array columns", c.n_valid, cols));
  }
  if ((c.acc_in || c.acc_out) && (pixels > static_cast<uint32_t>(rows) || c.pool)) {
    Reject(
        fmt::format("partial sums (acc_in/acc_out) need one fold without pool: {} output "
                    "pixels{} on {} array rows",
                    pixels, c.pool ? " pooled" : "", rows));
  }
  const int n_valid = static_cast<int>(c.n_valid);
  const uint32_t plane = c.in_rows * c.in_width;
  const uint32_t blocks = (c.channels + 15) / 16;

  // Columns past n_valid have bias 0 and weight 0 (their sums stay as they are).
  std::vector<int32_t> bias(cols, 0);
  if (!c.acc_in) {
    Count(Counter::kWbufReads, 4 * col_words);
    for (int n = 0; n < n_valid; ++n) {
      const Word& w = wbuf_[(c.wbuf_base + n / 4) % wbuf_.size()];
      uint32_t v = 0;
      for (int b = 0; b < 4; ++b) v |= static_cast<uint32_t>(w[4 * (n % 4) + b]) << (8 * b);
      bias[n] = static_cast<int32_t>(v);
    }
  }
  std::vector<int> pe(rows), pf(rows);
  std::vector<bool> valid(rows);
  std::vector<std::vector<int32_t>>& acc = pe_acc_;
  std::vector<uint8_t> pool_max(cols, 0);
  int pool_beats = 0;
  const uint32_t width_units = c.pool ? c.out_width / 2 : c.out_width;

  for (uint32_t m0 = 0; m0 < pixels; m0 += rows) {
    int valid_rows = 0;
    for (int r = 0; r < rows; ++r) {
      const uint32_t m = m0 + r;
      valid[r] = m < pixels;
      valid_rows += valid[r];
      const uint32_t unit = c.pool ? m / 4 : m;
      const uint32_t ue = unit / width_units, uf = unit % width_units;
      pe[r] = static_cast<int>(c.pool ? 2 * ue + ((r >> 1) & 1) : ue);
      pf[r] = static_cast<int>(c.pool ? 2 * uf + (r & 1) : uf);
      if (!c.acc_in) acc[r] = bias;
    }
    uint32_t k = 0;
    for (uint32_t cb = 0; cb < blocks; ++cb) {
      const uint32_t block_channels = std::min<uint32_t>(16, c.channels - 16 * cb);
      for (uint32_t ky = 0; ky < c.kernel_h; ++ky) {
        for (uint32_t kx = 0; kx < c.kernel_w; ++kx) {
          // One word per in-bounds row holds this tap's 16 channels.
          std::vector<const Word*> words(rows, nullptr);
          for (int r = 0; r < rows; ++r) {
            const int y = pe[r] * static_cast<int>(c.stride) + static_cast<int>(ky) + c.y_off;
            const int x = pf[r] * static_cast<int>(c.stride) + static_cast<int>(kx) + c.x_off;
            if (valid[r] && y >= 0 && y < static_cast<int>(c.in_rows) && x >= 0 &&
                x < static_cast<int>(c.in_width)) {
              const uint32_t addr =
                  (c.abuf_base + cb * plane + static_cast<uint32_t>(y) * c.in_width + x) & 0xffff;
              words[r] = &abuf_[addr % abuf_.size()];
            }
          }
          for (uint32_t ci = 0; ci < block_channels; ++ci, ++k) {
            if (ci == 0) {
              Count(Counter::kAbufReads, std::count_if(words.begin(), words.end(),
                                                       [](const Word* w) { return w; }));
            }
            // The step's Cols weights: col_words words after the 4 * col_words bias words.
            std::vector<uint8_t> wword(cols);
            for (int g = 0; g < col_words; ++g) {
              const Word& w =
                  wbuf_[(c.wbuf_base + 4 * col_words + k * col_words + g) % wbuf_.size()];
              std::copy_n(w.begin(), std::min(16, cols), wword.begin() + 16 * g);
            }
            Count(Counter::kWbufReads, col_words);
            int zero_rows = 0, zero_cols = 0;
            uint64_t wraps = 0;
            for (int n = 0; n < n_valid; ++n) zero_cols += wword[n] == 0;
            for (int r = 0; r < rows; ++r) {
              const uint8_t a = words[r] ? (*words[r])[ci] : 128;
              if (valid[r] && a == 128) ++zero_rows;
              for (int n = 0; n < n_valid; ++n) {
                const int32_t product = Centered(a) * static_cast<int8_t>(wword[n]);
                // acc_wraps: the step's exact sum is outside int32 (the first step's base is
                // the bias, or the kept sum with acc_in), as sa_pe flags it.
                const int64_t exact = int64_t{acc[r][n]} + product;
                wraps += exact < std::numeric_limits<int32_t>::min() ||
                         exact > std::numeric_limits<int32_t>::max();
                acc[r][n] = WrapAdd(acc[r][n], product);
              }
            }
            Count(Counter::kAccWraps, wraps);
            Count(Counter::kMacs, static_cast<uint64_t>(valid_rows) * n_valid);
            Count(Counter::kMacsZero, static_cast<uint64_t>(zero_rows) * n_valid +
                                          static_cast<uint64_t>(zero_cols) * valid_rows -
                                          static_cast<uint64_t>(zero_rows) * zero_cols);
          }
        }
      }
    }
    if (c.acc_out) continue;  // the sums stay in the PEs: no drain
    // Drain: rows leave last first, every column through its requantizer (columns past n_valid
    // hold their bias 0, or the sum an earlier command left with acc_in).
    for (int r = rows - 1; r >= 0; --r) {
      if (!valid[r]) continue;
      std::vector<uint8_t> out(cols);
      for (int n = 0; n < cols; ++n) {
        out[n] = Requantize(acc[r][n], c.relu, static_cast<int>(c.shift), c.rounding);
      }
      Count(Counter::kRequantOps, n_valid);
      const uint32_t m = m0 + r;
      // Word g of the row (channels 16g..16g+15) at its address + g * obuf_stride, written
      // when it holds a valid channel.
      const auto write_row = [&](uint32_t addr, const std::vector<uint8_t>& row) {
        if (cols < 16) {
          WriteOut(addr, row.data(), c.lane_off, cols);
          return;
        }
        for (int g = 0; 16 * g < n_valid; ++g) {
          WriteOut((addr + g * c.obuf_stride) & 0xffff, row.data() + 16 * g, 0, 16);
        }
      };
      if (!c.pool) {
        write_row((c.obuf_base + m) & 0xffff, out);
        continue;
      }
      for (int n = 0; n < cols; ++n) {
        pool_max[n] = pool_beats == 0 ? out[n] : std::max(pool_max[n], out[n]);
      }
      if (++pool_beats == 4) {
        pool_beats = 0;
        write_row((c.obuf_base + m / 4) & 0xffff, pool_max);
        Count(Counter::kPoolOps, n_valid);
      }
    }
  }
}

// The output buffer write port: `lanes` bytes into the word's lanes from `first` (the others
// keep their values); the RTL asserts that every write is inside the buffer.
void FunctionalDevice::WriteOut(uint64_t addr, const uint8_t* bytes, int first, int lanes) {
  if (addr >= obuf_.size()) {
    Reject(fmt::format("writes output buffer word {} past the {}-word buffer", addr, obuf_.size()));
  }
  std::copy_n(bytes, lanes, obuf_[addr].begin() + first);
  Count(Counter::kObufWrites, 1);
}

// sa_vec's pass: channel block by block, output pixels in raster order, one word read per tap
// (max pool skips the taps outside the input: they read nothing and never win).
void FunctionalDevice::Vector(const isa::Vector& v) {
  try {
    isa::Validate(v);
  } catch (const std::invalid_argument& e) {
    Reject(e.what());
  }
  auto read = [&](uint32_t base, uint32_t block, int64_t y, int64_t x) -> const Word& {
    const uint64_t addr = base +
                          (uint64_t{block} * v.in_rows + static_cast<uint64_t>(y)) * v.in_width +
                          static_cast<uint64_t>(x);
    if (addr >= abuf_.size()) {
      Reject(fmt::format("reads activation word {} past the {}-word buffer", addr, abuf_.size()));
    }
    Count(Counter::kAbufReads, 1);
    Count(Counter::kVecOps, 16);
    return abuf_[addr];
  };
  const AddShifts shifts{static_cast<int>(v.a_shift), static_cast<int>(v.b_shift),
                         static_cast<int>(v.out_shift)};
  const uint32_t taps = v.kernel_h * v.kernel_w;
  uint64_t index = 0;  // output words so far
  for (uint32_t b = 0; b < v.channel_blocks; ++b) {
    for (uint32_t e = 0; e < v.out_rows; ++e) {
      for (uint32_t f = 0; f < v.out_width; ++f, ++index) {
        Word out{};
        if (v.op == isa::VectorOp::kAdd) {
          const Word a = read(v.a_base, b, e, f);
          const Word& bw = read(v.b_base, b, e, f);
          for (int l = 0; l < 16; ++l) out[l] = AddRequantize(a[l], bw[l], shifts, v.relu);
          Count(Counter::kRequantOps, 16);
        } else {
          std::array<uint32_t, 16> fold{};  // running maximum (from 0) or sum
          for (uint32_t ky = 0; ky < v.kernel_h; ++ky) {
            for (uint32_t kx = 0; kx < v.kernel_w; ++kx) {
              const int64_t y = int64_t{e} * v.stride + ky + v.y_off;
              const int64_t x = int64_t{f} * v.stride + kx + v.x_off;
              if (y < 0 || y >= v.in_rows || x < 0 || x >= v.in_width) {
                if (v.op == isa::VectorOp::kAvgPool) {
                  Reject(
                      fmt::format("average window of output ({}, {}) reaches outside the "
                                  "{}x{} input at ({}, {})",
                                  e, f, v.in_rows, v.in_width, y, x));
                }
                continue;
              }
              const Word& w = read(v.a_base, b, y, x);
              for (int l = 0; l < 16; ++l) {
                fold[l] = v.op == isa::VectorOp::kMaxPool ? std::max<uint32_t>(fold[l], w[l])
                                                          : fold[l] + w[l];
              }
            }
          }
          for (int l = 0; l < 16; ++l) {
            out[l] = v.op == isa::VectorOp::kMaxPool
                         ? static_cast<uint8_t>(fold[l])
                         : AverageCodesByReciprocal(fold[l], taps, v.recip);
          }
          if (v.op == isa::VectorOp::kAvgPool) Count(Counter::kRequantOps, 16);
        }
        if (v.relu) {
          for (auto& code : out) code = std::max<uint8_t>(code, 128);
        }
        WriteOut(v.o_base + index, out.data(), 0, 16);
      }
    }
  }
}

}  // namespace sasim
