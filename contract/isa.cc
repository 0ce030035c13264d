#include "contract/isa.h"

#include <stdexcept>

#include <fmt/core.h>

namespace sasim::isa {
namespace {

uint32_t Bits(uint32_t word, int lo, int width) {
  return (word >> lo) & ((width == 32) ? 0xffffffffu : ((1u << width) - 1));
}

int32_t Signed16(uint32_t value) { return static_cast<int16_t>(value & 0xffff); }

void CheckFits(const char* command, const char* field, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi) {
    throw std::invalid_argument(fmt::format("{}: field {} = {} does not fit {}..{}", command,
                                            field, value, lo, hi));
  }
}

}  // namespace

CommandWords EncodeEnd() {
  CommandWords w{};
  w[0] = static_cast<uint32_t>(Opcode::kEnd);
  return w;
}

void Validate(const Transfer& t) {
  CheckFits("transfer", "dram_addr % 16", t.dram_addr % kWordBytes, 0, 0);
  CheckFits("transfer", "dram_stride % 16", t.dram_stride % kWordBytes, 0, 0);
  CheckFits("transfer", "sram_addr", t.sram_addr, 0, 0xffff);
  CheckFits("transfer", "sram_stride", t.sram_stride, 0, 0xffff);
  CheckFits("transfer", "row_words", t.row_words, 1, 0xffff);
  CheckFits("transfer", "rows", t.rows, 1, 0xffff);
}

CommandWords EncodeTransfer(Opcode op, const Transfer& t) {
  Validate(t);
  CommandWords w{};
  w[0] = static_cast<uint32_t>(op) | (static_cast<uint32_t>(t.buffer) << 8);
  w[1] = t.dram_addr;
  w[2] = t.dram_stride;
  w[3] = t.sram_addr;
  w[4] = t.sram_stride;
  w[5] = t.row_words;
  w[6] = t.rows;
  return w;
}

void Validate(const Compute& c) {
  CheckFits("compute", "shift", c.shift, 0, kMaxShift);
  CheckFits("compute", "kernel_h", c.kernel_h, 1, 15);
  CheckFits("compute", "kernel_w", c.kernel_w, 1, 15);
  CheckFits("compute", "stride", c.stride, 1, 15);
  CheckFits("compute", "channels", c.channels, 1, 0xffff);
  CheckFits("compute", "in_width", c.in_width, 1, 0xffff);
  CheckFits("compute", "in_rows", c.in_rows, 1, 0xffff);
  CheckFits("compute", "y_off", c.y_off, -32768, 32767);
  CheckFits("compute", "x_off", c.x_off, -32768, 32767);
  CheckFits("compute", "out_rows", c.out_rows, 1, 0xffff);
  CheckFits("compute", "out_width", c.out_width, 1, 0xffff);
  CheckFits("compute", "abuf_base", c.abuf_base, 0, 0xffff);
  CheckFits("compute", "wbuf_base", c.wbuf_base, 0, 0xffff);
  CheckFits("compute", "obuf_base", c.obuf_base, 0, 0xffff);
  CheckFits("compute", "n_valid", c.n_valid, 1, kMaxArrayCols);
  CheckFits("compute", "obuf_stride", c.obuf_stride, 0, 0xffff);
  CheckFits("compute", "lane_off", c.lane_off, 0, 15);
  if (c.rounding != Rounding::kFloor && c.rounding != Rounding::kNearestEven) {
    throw std::invalid_argument("compute: rounding must be floor or nearest_even");
  }
  if ((c.acc_in || c.acc_out) && c.pool) {
    throw std::invalid_argument("compute: partial sums (acc_in/acc_out) cannot pool");
  }
  if (c.pool && (c.out_rows % 2 != 0 || c.out_width % 2 != 0)) {
    throw std::invalid_argument(fmt::format(
        "compute: pool needs even output rows and width, got {}x{}", c.out_rows, c.out_width));
  }
}

CommandWords EncodeCompute(const Compute& c) {
  Validate(c);
  CommandWords w{};
  w[0] = static_cast<uint32_t>(Opcode::kCompute) | (uint32_t{c.relu} << 8) |
         (static_cast<uint32_t>(c.rounding) << 9) | (uint32_t{c.pool} << 10) | (c.shift << 11) |
         (c.kernel_h << 16) | (c.kernel_w << 20) | (c.stride << 24) |
         (uint32_t{c.acc_in} << 28) | (uint32_t{c.acc_out} << 29);
  w[1] = c.channels | (c.in_width << 16);
  w[2] = c.in_rows | (static_cast<uint32_t>(c.y_off & 0xffff) << 16);
  w[3] = c.out_rows | (c.out_width << 16);
  w[4] = c.abuf_base | (c.wbuf_base << 16);
  w[5] = c.obuf_base | (c.n_valid << 16) | (c.lane_off << 24);
  w[6] = static_cast<uint32_t>(c.x_off & 0xffff) | (c.obuf_stride << 16);
  return w;
}

void Validate(const Vector& v) {
  CheckFits("vector", "op", static_cast<int>(v.op), 0, 2);
  CheckFits("vector", "out_shift", v.out_shift, 0, kMaxShift);
  CheckFits("vector", "a_shift", v.a_shift, 0, kMaxAddAlign);
  CheckFits("vector", "b_shift", v.b_shift, 0, kMaxAddAlign);
  CheckFits("vector", "stride", v.stride, 1, 255);
  CheckFits("vector", "kernel_h", v.kernel_h, 1, 255);
  CheckFits("vector", "kernel_w", v.kernel_w, 1, 255);
  CheckFits("vector", "channel_blocks", v.channel_blocks, 1, 0xffff);
  CheckFits("vector", "in_rows", v.in_rows, 1, 0xffff);
  CheckFits("vector", "in_width", v.in_width, 1, 0xffff);
  CheckFits("vector", "out_rows", v.out_rows, 1, 0xffff);
  CheckFits("vector", "out_width", v.out_width, 1, 0xffff);
  CheckFits("vector", "a_base", v.a_base, 0, 0xffff);
  CheckFits("vector", "b_base", v.b_base, 0, 0xffff);
  CheckFits("vector", "o_base", v.o_base, 0, 0xffff);
  CheckFits("vector", "y_off", v.y_off, -32768, 32767);
  CheckFits("vector", "x_off", v.x_off, -32768, 32767);
  if (v.op == VectorOp::kAvgPool) {
    CheckFits("vector", "recip", v.recip, AvgReciprocal(v.kernel_h * v.kernel_w),
              AvgReciprocal(v.kernel_h * v.kernel_w));
  }
  if (v.op == VectorOp::kAdd) {
    CheckFits("vector", "kernel_h (add)", v.kernel_h, 1, 1);
    CheckFits("vector", "kernel_w (add)", v.kernel_w, 1, 1);
    CheckFits("vector", "stride (add)", v.stride, 1, 1);
    CheckFits("vector", "out_rows (add)", v.out_rows, v.in_rows, v.in_rows);
    CheckFits("vector", "out_width (add)", v.out_width, v.in_width, v.in_width);
    CheckFits("vector", "y_off (add)", v.y_off, 0, 0);
    CheckFits("vector", "x_off (add)", v.x_off, 0, 0);
  }
}

CommandWords EncodeVector(const Vector& v) {
  Validate(v);
  CommandWords w{};
  w[0] = static_cast<uint32_t>(Opcode::kVector) | (static_cast<uint32_t>(v.op) << 8) |
         (uint32_t{v.relu} << 10) | (v.out_shift << 11) | (v.a_shift << 16) |
         (v.b_shift << 20) | (v.stride << 24);
  w[1] = v.kernel_h | (v.kernel_w << 8) | (v.channel_blocks << 16);
  w[2] = v.in_rows | (v.in_width << 16);
  w[3] = v.out_rows | (v.out_width << 16);
  w[4] = v.a_base | (v.b_base << 16);
  w[5] = v.o_base | (static_cast<uint32_t>(v.y_off & 0xffff) << 16);
  w[6] = static_cast<uint32_t>(v.x_off & 0xffff);
  w[7] = v.recip;
  return w;
}

Vector DecodeVector(const CommandWords& w) {
  Vector v;
  v.op = static_cast<VectorOp>(Bits(w[0], 8, 2));
  v.relu = Bits(w[0], 10, 1) != 0;
  v.out_shift = Bits(w[0], 11, 5);
  v.a_shift = Bits(w[0], 16, 4);
  v.b_shift = Bits(w[0], 20, 4);
  v.stride = Bits(w[0], 24, 8);
  v.kernel_h = Bits(w[1], 0, 8);
  v.kernel_w = Bits(w[1], 8, 8);
  v.channel_blocks = Bits(w[1], 16, 16);
  v.in_rows = Bits(w[2], 0, 16);
  v.in_width = Bits(w[2], 16, 16);
  v.out_rows = Bits(w[3], 0, 16);
  v.out_width = Bits(w[3], 16, 16);
  v.a_base = Bits(w[4], 0, 16);
  v.b_base = Bits(w[4], 16, 16);
  v.o_base = Bits(w[5], 0, 16);
  v.y_off = Signed16(Bits(w[5], 16, 16));
  v.x_off = Signed16(w[6]);
  v.recip = w[7];
  return v;
}

const char* VectorOpName(VectorOp op) {
  switch (op) {
    case VectorOp::kMaxPool: return "maxpool";
    case VectorOp::kAvgPool: return "avgpool";
    case VectorOp::kAdd: return "add";
  }
  return "invalid";
}

CommandWords EncodeSync(const Sync& s) {
  CommandWords w{};
  w[0] = static_cast<uint32_t>(Opcode::kSync);
  w[1] = s.dma_jobs;
  w[2] = s.compute_jobs;
  return w;
}

CommandWords EncodeSnapshot(uint32_t dram_addr) {
  CheckFits("snapshot", "dram_addr % 16", dram_addr % kWordBytes, 0, 0);
  CommandWords w{};
  w[0] = static_cast<uint32_t>(Opcode::kSnapshot);
  w[1] = dram_addr;
  return w;
}

uint32_t DecodeSnapshotAddr(const CommandWords& w) { return w[1]; }

Opcode DecodeOpcode(const CommandWords& w) { return static_cast<Opcode>(Bits(w[0], 0, 8)); }

Transfer DecodeTransfer(const CommandWords& w) {
  Transfer t;
  t.buffer = static_cast<Buffer>(Bits(w[0], 8, 2));
  t.dram_addr = w[1];
  t.dram_stride = w[2];
  t.sram_addr = w[3];
  t.sram_stride = w[4];
  t.row_words = w[5];
  t.rows = w[6];
  return t;
}

Compute DecodeCompute(const CommandWords& w) {
  Compute c;
  c.relu = Bits(w[0], 8, 1) != 0;
  c.rounding = static_cast<Rounding>(Bits(w[0], 9, 1));
  c.pool = Bits(w[0], 10, 1) != 0;
  c.shift = Bits(w[0], 11, 5);
  c.kernel_h = Bits(w[0], 16, 4);
  c.kernel_w = Bits(w[0], 20, 4);
  c.stride = Bits(w[0], 24, 4);
  c.acc_in = Bits(w[0], 28, 1) != 0;
  c.acc_out = Bits(w[0], 29, 1) != 0;
  c.channels = Bits(w[1], 0, 16);
  c.in_width = Bits(w[1], 16, 16);
  c.in_rows = Bits(w[2], 0, 16);
  c.y_off = Signed16(Bits(w[2], 16, 16));
  c.out_rows = Bits(w[3], 0, 16);
  c.out_width = Bits(w[3], 16, 16);
  c.abuf_base = Bits(w[4], 0, 16);
  c.wbuf_base = Bits(w[4], 16, 16);
  c.obuf_base = Bits(w[5], 0, 16);
  c.n_valid = Bits(w[5], 16, 8);
  c.lane_off = Bits(w[5], 24, 4);
  c.x_off = Signed16(w[6]);
  c.obuf_stride = Bits(w[6], 16, 16);
  return c;
}

Sync DecodeSync(const CommandWords& w) { return Sync{w[1], w[2]}; }

std::string Describe(const CommandWords& w) {
  switch (DecodeOpcode(w)) {
    case Opcode::kEnd:
      return "END";
    case Opcode::kLoad:
    case Opcode::kStore: {
      const Transfer t = DecodeTransfer(w);
      static const char* kBuf[] = {"abuf", "wbuf", "obuf", "counters"};
      return fmt::format("{} {} dram=0x{:x} stride={} sram={} sstride={} {}x{} words",
                         DecodeOpcode(w) == Opcode::kLoad ? "LOAD" : "STORE",
                         kBuf[static_cast<int>(t.buffer) & 3], t.dram_addr, t.dram_stride,
                         t.sram_addr, t.sram_stride, t.rows, t.row_words);
    }
    case Opcode::kCompute: {
      const Compute c = DecodeCompute(w);
      return fmt::format(
          "COMPUTE c={} in={}x{} k={}x{}/{} off=({},{}) out={}x{} n={} abuf={} wbuf={} obuf={} "
          "shift={} relu={} pool={} {}{}{}",
          c.channels, c.in_rows, c.in_width, c.kernel_h, c.kernel_w, c.stride, c.y_off, c.x_off,
          c.out_rows, c.out_width, c.n_valid, c.abuf_base, c.wbuf_base, c.obuf_base, c.shift,
          c.relu, c.pool, RoundingName(c.rounding), c.acc_in ? " acc_in" : "",
          c.acc_out ? " acc_out" : "");
    }
    case Opcode::kVector: {
      const Vector v = DecodeVector(w);
      return fmt::format(
          "VECTOR {} blocks={} in={}x{} k={}x{}/{} off=({},{}) out={}x{} a={} b={} o={} "
          "shifts=({},{},{}) relu={}",
          VectorOpName(v.op), v.channel_blocks, v.in_rows, v.in_width, v.kernel_h, v.kernel_w,
          v.stride, v.y_off, v.x_off, v.out_rows, v.out_width, v.a_base, v.b_base, v.o_base,
          v.a_shift, v.b_shift, v.out_shift, v.relu);
    }
    case Opcode::kSync: {
      const Sync s = DecodeSync(w);
      return fmt::format("SYNC dma>={} compute>={}", s.dma_jobs, s.compute_jobs);
    }
    case Opcode::kSnapshot:
      return fmt::format("SNAPSHOT dram=0x{:x}", DecodeSnapshotAddr(w));
  }
  return fmt::format("ILLEGAL opcode {}", Bits(w[0], 0, 8));
}

std::string CtrlStateName(uint32_t state) {
  static const char* kNames[] = {"IDLE", "FETCH", "DISPATCH", "SYNC", "DONE", "ERROR"};
  return state < 6 ? kNames[state] : fmt::format("state{}", state);
}

const char* CounterName(Counter c) {
  static const char* kNames[] = {
      "cycles",          "busy_cycles",    "stall_load",   "stall_store",  "stall_fetch",
      "macs",            "macs_zero",      "abuf_reads",   "abuf_writes",  "wbuf_reads",
      "wbuf_writes",     "obuf_reads",     "obuf_writes",  "dram_read_bytes",
      "dram_write_bytes", "requant_ops",   "pool_ops",     "commands",     "cmd_fetch_bytes",
      "issue_cycles",    "vec_ops",        "acc_wraps"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == kNumCounters);
  return kNames[static_cast<int>(c)];
}

std::vector<uint8_t> CommandBytes(const std::vector<isa::CommandWords>& commands) {
  std::vector<uint8_t> bytes;
  bytes.reserve(commands.size() * isa::kCommandBytes);
  for (const auto& cmd : commands) {
    for (uint32_t w : cmd) {
      for (int b = 0; b < 4; ++b) bytes.push_back((w >> (8 * b)) & 0xff);
    }
  }
  return bytes;
}

}  // namespace sasim::isa
