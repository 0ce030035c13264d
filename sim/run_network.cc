#include "sim/run_network.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

#include <fmt/core.h>

#include "contract/counters.h"
#include "contract/errors.h"
#include "host/config/config_loader.h"
#include "host/golden/golden.h"
#include "host/io/files.h"
#include "host/io/npy.h"
#include "host/runtime/runtime.h"
#include "sim/worker_processes.h"

namespace sasim {
namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// First difference between a layer's hardware output and its golden output, or "".
std::string FirstMismatch(const Layer& layer, const std::vector<uint8_t>& expected,
                          const std::vector<uint8_t>& got) {
  const TensorShape out = layer.out_shape();
  const size_t plane = static_cast<size_t>(out.height) * out.width;
  if (got.size() != expected.size()) {
    return fmt::format("layer {}: {} outputs, expected {}", layer.name, got.size(),
                       expected.size());
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    if (got[i] != expected[i]) {
      size_t wrong = 0;
      for (size_t j = 0; j < expected.size(); ++j) wrong += got[j] != expected[j];
      return fmt::format(
          "layer {}: output index {} (channel {}, y {}, x {}): expected {}, got "
          "{} ({} of {} outputs differ)",
          layer.name, i, i / plane, i / out.width % out.height, i % out.width, expected[i], got[i],
          wrong, expected.size());
    }
  }
  return "";
}

int Argmax(const std::vector<uint8_t>& v) {
  return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

}  // namespace

std::string DefaultHwPath() { return SASIM_SOURCE_DIR "/configs/hw/default.yaml"; }

std::string EnergyTablePath(const std::string& arg) {
  if (arg.find('/') != std::string::npos || arg.find(".yaml") != std::string::npos) return arg;
  if (!IsPathName(arg)) {
    throw InputError(
        fmt::format("--energy '{}': not a table name (course_ops, horowitz45, "
                    "course_eyeriss) or a .yaml file",
                    arg));
  }
  return std::string(SASIM_SOURCE_DIR) + "/configs/energy/" + arg + ".yaml";
}

PreparedRun PrepareRun(const RunRequest& request) {
  PreparedRun run;
  run.request = request;
  run.hw_path = request.hw_path.empty() ? DefaultHwPath() : request.hw_path;
  run.hw = LoadHwConfig(run.hw_path);
  run.energy_table = LoadEnergyTable(EnergyTablePath(request.energy));
  run.spec = LoadNet(request.net_path);
  compiler::NetSpec& spec = run.spec;
  if (request.seed) spec.seed = *request.seed;
  Network net = NetworkOf(spec, compiler::Fuse(spec));

  // A network too large to simulate in reasonable time, or one the hardware cannot run, is
  // refused from its shapes alone, before any weight is made or golden output computed.
  int64_t macs = 0;
  for (const Layer& layer : net.layers) macs += layer.macs();
  if (macs > limits::kMaxNetMacs) {
    throw InputError(
        fmt::format("{}: the network has {:.2f} G MACs per image, more than the "
                    "{:.0f} G a run simulates in reasonable time",
                    spec.path, macs / 1e9, limits::kMaxNetMacs / 1e9));
  }
  if (request.batch < 1 || request.batch > compiler::kMaxBatch) {
    throw InputError(fmt::format("--batch {}: 1..{} images", request.batch, compiler::kMaxBatch));
  }
  compiler::CompileOptions options;
  options.images = request.batch;
  run.compiled = compiler::PlanNet(net.layers, run.hw, options);
  if (!request.inject_fault.empty() &&
      std::none_of(net.layers.begin(), net.layers.end(),
                   [&](const Layer& l) {
                     return l.name == request.inject_fault && l.has_weights();
                   })) {
    throw InputError(
        fmt::format("--inject-fault: no layer with weights named '{}' in {}",
                    request.inject_fault, request.net_path));
  }
  run.trace = PlanTrace(request.trace, spec.name, run.compiled.program);

  // The input: image 0 of a dataset, a file, or a synthetic image.
  std::vector<uint8_t> input;
  const InputFormat format = net.input_format();
  if (!request.dataset.empty()) {
    if (!request.input_path.empty()) throw InputError("--dataset and --input exclude each other");
    if (request.limit < 0) throw InputError(fmt::format("--limit {}: not negative", request.limit));
    Dataset dataset = LoadDataset(request.dataset, request.labels, request.limit, format);
    if (dataset.images.empty()) throw InputError(request.dataset + ": no images");
    run.input_desc = fmt::format("{} image 0 of {}", request.dataset, dataset.images.size());
    input = std::move(dataset.images[0]);
    run.more_images.assign(std::make_move_iterator(dataset.images.begin() + 1),
                           std::make_move_iterator(dataset.images.end()));
    run.labels = std::move(dataset.labels);
  } else if (request.input_path.empty()) {
    if (!request.labels.empty() || request.limit != 0) {
      throw InputError("--labels and --limit apply to a --dataset");
    }
    input = SyntheticImage(net.input, spec.seed);
    run.input_desc = fmt::format("synthetic (seed {})", spec.seed);
  } else if (request.input_path == kReferenceInput) {
    if (spec.reference_dir.empty()) {
      throw InputError(fmt::format("--input reference: {} has no `reference` directory",
                                   spec.path));
    }
    const std::string dir = spec.reference_dir;
    input = LoadInputImage(dir + "/input.npy", 0, format);
    run.input_desc = fmt::format("reference input {}/input.npy", dir);
    for (const Layer& layer : net.layers) {
      const std::string path = dir + "/" + layer.out_name + ".npy";
      const NpyArray a = ReadNpy(path);
      if (a.dtype != "u1" || a.size() != layer.out_shape().elements()) {
        throw InputError(fmt::format(
            "{}: PyTorch's output of '{}' should be {} uint8 codes, the file has {} of dtype {}",
            path, layer.out_name, layer.out_shape().elements(), a.size(), a.dtype));
      }
      run.reference.push_back(a.As<uint8_t>());
    }
  } else {
    input = LoadInputImage(request.input_path, request.index, format);
    run.input_desc = DescribeInput(request.input_path, request.index);
  }

  const auto start = std::chrono::steady_clock::now();
  run.prepared = PrepareNet(spec, std::move(net), std::move(input));
  run.prepare_seconds = Since(start);
  // Compiled again, not patched: calibration may have changed shifts, which COMPUTE encodes.
  run.compiled =
      compiler::CompileNet(run.prepared.net.layers, run.prepared.net.weights, run.hw, options);
  if (request.dataset.empty()) {
    // The batch's other images: the next records of a CIFAR-10 batch file, copies of an .npy
    // image or of the reference input (each checked against PyTorch too), or synthetic images
    // of the next seeds.
    const bool one_image_input = request.input_path == kReferenceInput ||
                                 (!request.input_path.empty() && !IsCifarBatch(request.input_path));
    for (int k = 1; k < request.batch; ++k) {
      if (request.input_path.empty()) {
        run.more_images.push_back(SyntheticImage(run.prepared.net.input, spec.seed + k));
      } else if (one_image_input) {
        run.more_images.push_back(run.prepared.input);
      } else {
        run.more_images.push_back(LoadInputImage(request.input_path, request.index + k, format));
      }
    }
    if (request.batch > 1) {
      run.input_desc +=
          fmt::format(" and {} more ({})", request.batch - 1,
                      request.input_path.empty()              ? "seeds after it"
                      : request.input_path == kReferenceInput ? "copies"
                                                              : "the records after it");
    }
  }
  return run;
}

namespace {

// What a run measured, before the per-layer checks: image 0's counters and outputs, and the
// other dataset images' exactness and predictions (images 1.. in order).
struct Measured {
  std::vector<Counters> counters;
  std::vector<std::vector<uint8_t>> outputs;
  std::vector<bool> exact_images;
  std::vector<int> predictions;
  std::string first_image_mismatch;  // of images 1..: "image k, layer 'x': <FirstMismatch>"
};

// Image k of the run (0: the prepared input, k >= 1: dataset image k).
const std::vector<uint8_t>& Image(const PreparedRun& run, size_t k) {
  return k == 0 ? run.prepared.input : run.more_images.at(k - 1);
}

// Runs images [first, end) through the loaded program, a batch (Program::batch) at a time:
// image k in slot (k - first) % batch, a short last batch repeating its first image in the
// slots left over. Image 0, when in range, is the measured one: its batch's per-layer counters
// and its outputs go to m->counters and m->outputs (checked by Finish); every other image is
// checked on every layer here. `layer_progress` reports on the first batch's commands,
// `progress` after each batch with the images done.
void RunImages(Hal& hal, const PreparedRun& run, size_t first, size_t end, Measured* m,
               const std::function<void(uint32_t, uint64_t)>& layer_progress,
               const std::function<void(size_t)>& progress) {
  const Program& program = run.compiled.program;
  const Network& net = run.prepared.net;
  const size_t batch = static_cast<size_t>(program.batch);
  for (size_t k0 = first; k0 < end; k0 += batch) {
    const size_t k1 = std::min(end, k0 + batch);
    for (size_t slot = 0; slot < batch; ++slot) {
      WriteInput(hal, program, Image(run, k0 + slot < k1 ? k0 + slot : k0), static_cast<int>(slot));
    }
    RunCommands(hal, program.cmd_addr,
                k0 == first ? layer_progress : std::function<void(uint32_t, uint64_t)>{});
    for (size_t k = k0; k < k1; ++k) {
      const int slot = static_cast<int>(k - k0);
      if (k == 0) {
        m->counters = ReadLayerCounters(hal, program);
        for (size_t i = 0; i < net.layers.size(); ++i) {
          m->outputs.push_back(ReadLayerOutput(hal, program, i, slot));
        }
        continue;
      }
      const auto golden = golden::ForwardNet(net.layers, net.weights, Image(run, k));
      bool exact = true;
      std::vector<uint8_t> last;
      for (size_t i = 0; i < net.layers.size(); ++i) {
        last = ReadLayerOutput(hal, program, i, slot);
        // A batch of the reference image: every copy checked against PyTorch too.
        const bool against_torch = !run.reference.empty() && run.request.dataset.empty();
        std::string mismatch = FirstMismatch(net.layers[i], golden[i], last);
        if (mismatch.empty() && against_torch) {
          mismatch = FirstMismatch(net.layers[i], run.reference[i], last);
          if (!mismatch.empty()) mismatch += " (against PyTorch)";
        }
        if (!mismatch.empty() && exact && m->first_image_mismatch.empty()) {
          m->first_image_mismatch =
              fmt::format("image {}, layer '{}': {}", k, net.layers[i].name, mismatch);
        }
        exact = exact && mismatch.empty();
      }
      m->exact_images.push_back(exact);
      m->predictions.push_back(Argmax(last));
    }
    if (progress) progress(k1);
  }
}

// Corrupts the first weight of the --inject-fault layer in DRAM.
void InjectFault(Hal& hal, const PreparedRun& run) {
  const Program& program = run.compiled.program;
  const Network& net = run.prepared.net;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    if (net.layers[i].name != run.request.inject_fault) continue;
    for (const DramSegment& segment : program.segments) {
      if (segment.addr != run.compiled.plans[i].place.weight_addr) continue;
      uint8_t word = segment.bytes[4 * 16] ^ 0x40;  // the first weight
      hal.DramWrite(segment.addr + 4 * 16, &word, 1);
    }
  }
}

// The per-layer results, checks and dataset summary of what was measured.
NetworkRun Finish(const PreparedRun& run, DeviceKind kind, bool timed, double wall, Measured m) {
  const Network& net = run.prepared.net;
  const size_t n = net.layers.size();
  NetworkRun out;
  RunResult& result = out.result;
  result.net = net.name;
  result.net_path = run.request.net_path;
  result.input = run.input_desc;
  result.hw = run.hw;
  result.hw_path = run.hw_path;
  result.energy_table = run.energy_table;
  result.prepare_seconds = run.prepare_seconds;
  result.device = std::string(DeviceKindName(kind));
  result.timed = timed;
  result.wall_seconds = wall;
  out.outputs = std::move(m.outputs);
  for (size_t i = 0; i < n; ++i) {
    LayerResult l;
    l.layer = net.layers[i];
    l.stats = run.prepared.stats[i];
    l.tiling = run.compiled.plans[i].tiling.decision;
    l.counters = m.counters[i];
    l.mismatch = FirstMismatch(net.layers[i], run.prepared.golden[i], out.outputs[i]);
    if (!run.reference.empty()) {
      l.reference_mismatch = FirstMismatch(net.layers[i], run.reference[i], out.outputs[i]);
      if (!l.reference_mismatch.empty()) l.reference_mismatch += " (against PyTorch)";
    }
    l.bit_exact = l.mismatch.empty() && l.reference_mismatch.empty();
    result.layers.push_back(std::move(l));
  }
  if (!run.reference.empty()) result.reference = run.spec.reference_dir;
  result.batch = run.compiled.program.batch;
  Summarize(&result);
  if (run.request.dataset.empty() && result.batch > 1) {
    // The batch's other images were checked on every layer too.
    result.batch_exact_images = result.bit_exact;
    for (bool exact : m.exact_images) result.batch_exact_images += exact;
    result.batch_mismatch = m.first_image_mismatch;
    result.bit_exact =
        result.bit_exact && result.batch_exact_images == static_cast<size_t>(result.batch);
  }
  if (!run.request.dataset.empty()) {
    // Image 0 is the per-layer run above; the others were checked on every layer too.
    std::vector<int>& predictions = m.predictions;
    std::vector<bool>& exact_images = m.exact_images;
    predictions.insert(predictions.begin(), Argmax(out.outputs.back()));
    exact_images.insert(exact_images.begin(), result.bit_exact);
    result.dataset_path = run.request.dataset;
    result.dataset_images = predictions.size();
    result.dataset_labelled = !run.labels.empty();
    std::string csv = "index,label,prediction,bit_exact\n";
    for (size_t k = 0; k < predictions.size(); ++k) {
      result.dataset_exact_images += exact_images[k];
      if (result.dataset_labelled) result.dataset_correct += predictions[k] == run.labels[k];
      csv += fmt::format("{},{},{},{}\n", k, result.dataset_labelled ? run.labels[k] : -1,
                         predictions[k], exact_images[k] ? 1 : 0);
    }
    result.bit_exact = result.bit_exact && result.dataset_exact_images == result.dataset_images;
    out.predictions_csv = std::move(csv);
  }
  return out;
}

}  // namespace

NetworkRun RunNetwork(const PreparedRun& run, Device& device, const TraceRequest* trace) {
  const Program& program = run.compiled.program;
  const Network& net = run.prepared.net;
  const size_t n = net.layers.size();
  if (trace) device.SetTrace(*trace);
  Measured m;
  const auto start = std::chrono::steady_clock::now();
  device.Run([&](Hal& hal) {
    LoadProgram(hal, program);
    if (!run.request.inject_fault.empty()) InjectFault(hal, run);
    // Progress: the layer the controller is in, and cycles against the compiler's estimate.
    uint64_t estimate = 0;
    for (const auto& l : program.layers) estimate += l.estimated_cycles;
    auto report = [&](uint32_t command, uint64_t cycles) {
      size_t layer = 0;
      while (layer + 1 < n && program.layers[layer + 1].first_command <= command) ++layer;
      fmt::print(stderr, "\r  layer {} of {} ({}), {} cycles, ~{:.0f}%, {:.1f} s   ", layer + 1, n,
                 program.layers[layer].name, cycles,
                 std::min(99.0, 100.0 * cycles / std::max<uint64_t>(1, estimate)), Since(start));
    };
    // Every image, a batch at a time: same program, only the inputs change.
    const size_t images = run.more_images.size() + 1;
    RunImages(hal, run, 0, images, &m,
              run.request.progress ? report : std::function<void(uint32_t, uint64_t)>{},
              [&](size_t done) {
                if (run.request.progress) {
                  fmt::print(stderr, "\r  {} of {} images, {:.1f} s   {:20}", done, images,
                             Since(start), "");
                }
              });
    if (run.request.progress) fmt::print(stderr, "\r{:60}\r", "");
  });
  const double wall = Since(start);
  TraceResult t;
  if (trace) {
    t = device.trace_result();
    if (!t.error.empty()) {
      throw InputError(fmt::format("--trace: writing the waveform failed ({})", t.error));
    }
  }
  NetworkRun out = Finish(run, device.kind(), device.timed(), wall, std::move(m));
  if (trace) {
    out.result.trace_first_cycle = t.first_cycle;
    out.result.trace_cycles = t.written ? t.cycles : 0;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Worker processes (RunNetworkJobs).
//
// Every layer ends with SYNC (all jobs dispatched so far) and SNAPSHOT, so when the SNAPSHOT of
// layer a-1 freezes the counters, the DMA engine is idle (it takes the SNAPSHOT job now) and
// the compute engine has completed every job: the only state carried into layer a is the
// controller's, i.e. how many commands past the SNAPSHOT its FIFO holds (fetches go 4 commands
// at a time, aligned to the stream), its job counts (SYNC compares them), and the DRAM
// contents. A worker starting at layer a therefore runs a short preamble ending in that same
// SNAPSHOT, with the FIFO's fill reproduced (checked by a trial run, and afterwards against the
// previous group's counters: cmd_fetch_bytes at the SNAPSHOT says how far the fetch had got),
// its SYNCs rebased to its own job counts, and the tensors its layers read written from the
// golden outputs (equal to the hardware's in a bit-exact run).
namespace {

constexpr size_t kFetchCommands = isa::kFetchCommands;
constexpr size_t kFifoCommands = isa::kFifoCommands;

// What a worker ran for layers [a, b).
struct GroupRun {
  std::vector<Counters> counters;
  std::vector<std::vector<uint8_t>> outputs;
  uint64_t fetched_at_start = 0;  // commands fetched when layer a-1's SNAPSHOT froze counters
  uint64_t fetched_at_end = 0;    // ... when layer b-1's did
  bool reproduced = true;         // the wanted start state was reached
};

void WriteCounters(ByteWriter* w, const Counters& c) {
  for (uint64_t v : c) w->U64(v);
}

Counters ReadCountersFrom(ByteReader* r) {
  Counters c{};
  for (uint64_t& v : c) v = r->U64();
  return c;
}

std::string Serialize(const GroupRun& g) {
  ByteWriter w;
  w.U64(g.counters.size());
  for (size_t i = 0; i < g.counters.size(); ++i) {
    WriteCounters(&w, g.counters[i]);
    w.Bytes(g.outputs[i]);
  }
  w.U64(g.fetched_at_start);
  w.U64(g.fetched_at_end);
  w.U64(g.reproduced);
  return w.Take();
}

GroupRun ParseGroup(const std::string& bytes) {
  ByteReader r(bytes);
  GroupRun g;
  const uint64_t n = r.U64();
  if (n > (uint64_t{1} << 20)) throw SimulationError("worker result: bad layer count");
  for (uint64_t i = 0; i < n; ++i) {
    g.counters.push_back(ReadCountersFrom(&r));
    g.outputs.push_back(r.Bytes());
  }
  g.fetched_at_start = r.U64();
  g.fetched_at_end = r.U64();
  g.reproduced = r.U64() != 0;
  return g;
}

// Commands of a worker's stream that differ from the program's, by index.
using Patch = std::map<size_t, isa::CommandWords>;

void WriteCommands(Hal& hal, const Program& program, const Patch& patch) {
  for (const auto& [index, words] : patch) {
    const auto bytes = isa::CommandBytes({words});
    hal.DramWrite(program.cmd_addr + index * isa::kCommandBytes, bytes.data(), bytes.size());
  }
}

void RestoreCommands(Hal& hal, const Program& program, const Patch& patch) {
  Patch original;
  for (const auto& entry : patch) original[entry.first] = program.commands.at(entry.first);
  WriteCommands(hal, program, original);
}

Counters SnapshotAt(Hal& hal, uint32_t addr) {
  std::array<uint8_t, isa::kSnapshotBytes> bytes{};
  hal.DramRead(addr, bytes.data(), bytes.size());
  return CountersFromSnapshot(bytes.data());
}

uint64_t FetchedCommands(const Counters& c) {
  return Get(c, isa::Counter::kCmdFetchBytes) / isa::kCommandBytes;
}

// The SNAPSHOT closing layer `layer` (and the SYNC before it), checked.
size_t SnapshotIndex(const Program& program, size_t layer) {
  const size_t s =
      program.layers.at(layer).end_command - (layer + 1 == program.layers.size() ? 3 : 1);
  if (s < 1 || isa::DecodeOpcode(program.commands.at(s)) != isa::Opcode::kSnapshot ||
      isa::DecodeSnapshotAddr(program.commands[s]) != program.layers[layer].snapshot_addr ||
      isa::DecodeOpcode(program.commands[s - 1]) != isa::Opcode::kSync) {
    throw SimulationError(fmt::format("internal: layer '{}' does not end with SYNC, SNAPSHOT",
                                      program.layers[layer].name));
  }
  return s;
}

// The commands fetched when the SNAPSHOT at s is dispatched in a run whose SYNC before it (at
// s-1) held the head while the DMA engine was idle, as a layer's closing SYNC does: fetches go
// kFetchCommands at a time, each when the FIFO (kFifoCommands) has room for it, so the fetch
// stops a FIFO's worth past the SYNC's group.
uint64_t FullFetch(size_t s) {
  return kFetchCommands * ((s - 1) / kFetchCommands + kFifoCommands / kFetchCommands);
}

// A way to reach the SNAPSHOT at s from a fresh start: begin at command `start` (a fetch
// group's first), every command before s a no-op (SYNC on nothing), except the ones that hold
// the head while fetches go out, as the whole run's closing SYNC does while the layer's last
// jobs finish:
//  * kCompute: a VECTOR at s-2 that takes about a thousand cycles (a 15x15 max pool of four
//    words) and a SYNC on it at s-1: the DMA engine is idle meanwhile, so the FIFO fills up;
//  * kDma (d = 1..3): a SNAPSHOT (a DMA job with no other effect) at s-d-1 and a SYNC on it at
//    s-d: the head waits while the DMA engine is busy, so the next fetch goes out later.
// The work they do is done before the SNAPSHOT at s freezes the counters.
struct Preamble {
  enum Kind { kNone, kCompute, kDma } kind = kNone;
  size_t start = 0;
  size_t d = 0;                                               // kDma: the SYNC's distance before s
  uint32_t dma_jobs() const { return kind == kDma ? 2 : 1; }  // dispatched when s is, s included
  uint32_t compute_jobs() const { return kind == kCompute ? 1 : 0; }
};

std::vector<Preamble> Preambles(size_t s) {
  std::vector<Preamble> all;
  const size_t group = s / kFetchCommands;
  for (size_t back = 0; back <= kFifoCommands / kFetchCommands && back <= group; ++back) {
    const size_t start = (group - back) * kFetchCommands;
    if (s >= start + 2) all.push_back({Preamble::kCompute, start, 0});
  }
  for (size_t back = 0; back <= 1 && back <= group; ++back) {
    const size_t start = (group - back) * kFetchCommands;
    all.push_back({Preamble::kNone, start, 0});
    for (size_t d = 1; d <= 3; ++d) {
      if (s >= start + d + 1) all.push_back({Preamble::kDma, start, d});
    }
  }
  return all;
}

Patch PreamblePatch(size_t s, const Preamble& p, uint32_t scratch, uint32_t abuf_words) {
  Patch patch;
  for (size_t i = p.start; i < s; ++i) patch[i] = isa::EncodeSync({0, 0});
  if (p.kind == Preamble::kCompute) {
    // Four output words, each the maximum of k x k activation words (15 x 15, or what the
    // buffer has): long enough for the fetches to fill the FIFO.
    uint32_t k = 15;
    while (k > 1 && k * (k + 3) > abuf_words) --k;
    isa::Vector pool;
    pool.kernel_h = pool.kernel_w = k;
    pool.in_rows = k;
    pool.in_width = k + 3;
    pool.out_width = 4;
    patch[s - 2] = isa::EncodeVector(pool);
    patch[s - 1] = isa::EncodeSync({0, 1});
  } else if (p.kind == Preamble::kDma) {
    patch[s - p.d - 1] = isa::EncodeSnapshot(scratch);
    patch[s - p.d] = isa::EncodeSync({1, 0});
  }
  return patch;
}

// Runs layers [a, b) on a device of its own; `target`: the commands fetched when layer a-1's
// SNAPSHOT froze the counters in the whole run (a > 0, timed devices).
GroupRun RunGroup(const PreparedRun& run, DeviceKind kind, size_t a, size_t b, uint64_t target) {
  const Program& program = run.compiled.program;
  const Network& net = run.prepared.net;
  const size_t n = net.layers.size();
  const bool timed = kind != DeviceKind::kFunctional;
  GroupRun out;
  std::unique_ptr<Device> device = MakeDevice(kind, run.hw);
  device->Run([&](Hal& hal) {
    LoadProgram(hal, program);
    WriteInput(hal, program, run.prepared.input);
    // Every tensor the group reads from an earlier group: the golden output.
    for (size_t i = a; i < b; ++i) {
      for (int from : net.layers[i].inputs) {
        if (from == kNetworkInput || static_cast<size_t>(from) >= a) continue;
        const ProgramLayer& l = program.layers[from];
        WriteTensor(hal, l.output_addr, run.prepared.golden[from], l.output.channels,
                    l.output.height, l.output.width);
      }
    }
    Preamble preamble;
    size_t s = 0;
    isa::Sync base{};  // the whole run's job counts after the SNAPSHOT at s
    Patch patch;
    if (a > 0) {
      s = SnapshotIndex(program, a - 1);
      base = isa::DecodeSync(program.commands[s - 1]);
      ++base.dma_jobs;
      const uint32_t scratch = program.layers[a - 1].snapshot_addr;
      const std::vector<Preamble> candidates = Preambles(s);
      preamble = candidates.front();
      out.reproduced = !timed;
      // Trial runs up to the SNAPSHOT (then END): which preamble leaves the FIFO as full.
      for (size_t k = 0; timed && k < candidates.size(); ++k) {
        Patch trial = PreamblePatch(s, candidates[k], scratch, run.hw.abuf_words());
        trial[s + 1] = isa::EncodeEnd();
        WriteCommands(hal, program, trial);
        RunCommands(hal, program.cmd_addr + candidates[k].start * isa::kCommandBytes);
        RestoreCommands(hal, program, trial);
        if (candidates[k].start + FetchedCommands(SnapshotAt(hal, scratch)) == target) {
          preamble = candidates[k];
          out.reproduced = true;
          break;
        }
      }
      if (!out.reproduced) return;
      patch = PreamblePatch(s, preamble, scratch, run.hw.abuf_words());
    }
    // SYNCs count the jobs of this run: rebased from the whole run's counts.
    const auto rebase = [&](isa::Sync sync) {
      const uint64_t dma = uint64_t{sync.dma_jobs} + (a > 0 ? preamble.dma_jobs() : 0);
      const uint64_t comp = uint64_t{sync.compute_jobs} + (a > 0 ? preamble.compute_jobs() : 0);
      sync.dma_jobs = dma > base.dma_jobs ? static_cast<uint32_t>(dma - base.dma_jobs) : 0;
      sync.compute_jobs =
          comp > base.compute_jobs ? static_cast<uint32_t>(comp - base.compute_jobs) : 0;
      return isa::EncodeSync(sync);
    };
    const size_t end = b < n ? program.layers[b - 1].end_command : program.commands.size();
    for (size_t i = a > 0 ? s + 1 : 0; i < end; ++i) {
      if (isa::DecodeOpcode(program.commands[i]) == isa::Opcode::kSync) {
        patch[i] = rebase(isa::DecodeSync(program.commands[i]));
      }
    }
    if (b < n) {
      // Stop after layer b-1's SNAPSHOT has been written.
      isa::Sync all = isa::DecodeSync(program.commands[SnapshotIndex(program, b - 1) - 1]);
      ++all.dma_jobs;
      patch[end] = rebase(all);
      patch[end + 1] = isa::EncodeEnd();
    }
    WriteCommands(hal, program, patch);
    RunCommands(hal, program.cmd_addr + preamble.start * isa::kCommandBytes);
    Counters previous{};
    if (a > 0) {
      previous = SnapshotAt(hal, program.layers[a - 1].snapshot_addr);
      out.fetched_at_start = preamble.start + FetchedCommands(previous);
    }
    for (size_t i = a; i < b; ++i) {
      const Counters now = SnapshotAt(hal, program.layers[i].snapshot_addr);
      out.counters.push_back(Delta(now, previous));
      previous = now;
      out.outputs.push_back(ReadLayerOutput(hal, program, i));
    }
    out.fetched_at_end = preamble.start + FetchedCommands(previous);
  });
  return out;
}

std::string LayerRange(const Network& net, size_t a, size_t b) {
  return b - a == 1 ? net.layers[a].name
                    : fmt::format("{}..{}", net.layers[a].name, net.layers[b - 1].name);
}

NetworkRun RunLayerGroups(const PreparedRun& run, DeviceKind kind, int jobs) {
  const Program& program = run.compiled.program;
  const Network& net = run.prepared.net;
  const bool timed = kind != DeviceKind::kFunctional;
  const auto start = std::chrono::steady_clock::now();
  std::vector<size_t> bounds = SplitLayers(program, jobs);
  if (!run.request.split_layers.empty()) {  // tests: groups chosen by hand
    bounds = {0};
    for (size_t a : run.request.split_layers) {
      if (a <= bounds.back() || a >= net.layers.size()) {
        throw InputError(fmt::format("split_layers: layer {} does not start a group", a));
      }
      bounds.push_back(a);
    }
    bounds.push_back(net.layers.size());
  }
  const auto target = [&](size_t a) -> uint64_t {
    if (a == 0 || !run.request.guess_start_state) return 0;
    return FullFetch(SnapshotIndex(program, a - 1));
  };
  const auto describe = [&](size_t a, size_t b) {
    return fmt::format("worker for layers {}", LayerRange(net, a, b));
  };
  const size_t count = bounds.size() - 1;
  if (run.request.progress) {
    fmt::print(stderr, "\r  {} layers on {} worker processes ...", net.layers.size(), count);
  }
  std::vector<GroupRun> groups;
  for (const std::string& bytes : RunInProcesses(
           static_cast<int>(count),
           [&](int g) {
             return Serialize(RunGroup(run, kind, bounds[g], bounds[g + 1], target(bounds[g])));
           },
           [&](int g) { return describe(bounds[g], bounds[g + 1]); })) {
    groups.push_back(ParseGroup(bytes));
  }
  // Each group must have started in the state the previous one ended in; a group that did not
  // runs again from that state, or, when no preamble reaches it, together with the previous.
  const auto run_one = [&](size_t a, size_t b, uint64_t want) {
    return ParseGroup(RunInProcesses(
        1, [&](int) { return Serialize(RunGroup(run, kind, a, b, want)); },
        [&](int) { return describe(a, b); })[0]);
  };
  int reruns = 0;
  for (size_t g = 1; timed && g < groups.size(); ++g) {
    const uint64_t want = groups[g - 1].fetched_at_end;
    if (groups[g].reproduced && groups[g].fetched_at_start == want) continue;
    ++reruns;
    GroupRun again = run_one(bounds[g], bounds[g + 1], want);
    if (again.reproduced && again.fetched_at_start == want) {
      groups[g] = std::move(again);
      continue;
    }
    bounds.erase(bounds.begin() + g);
    groups.erase(groups.begin() + g);
    const uint64_t want_before = g >= 2 ? groups[g - 2].fetched_at_end : 0;
    groups[g - 1] = run_one(bounds[g - 1], bounds[g], want_before);
    g -= 1;  // its start is checked again (g - 1 >= 1), or it is the first group
    if (g == 0) continue;
    --g;
  }
  if (run.request.progress) fmt::print(stderr, "\r{:60}\r", "");
  Measured m;
  for (GroupRun& g : groups) {
    for (size_t i = 0; i < g.counters.size(); ++i) {
      m.counters.push_back(g.counters[i]);
      m.outputs.push_back(std::move(g.outputs[i]));
    }
  }
  if (m.counters.size() != net.layers.size()) {
    throw SimulationError("internal: the worker processes did not run every layer once");
  }
  NetworkRun out = Finish(run, kind, timed, Since(start), std::move(m));
  out.result.workers = static_cast<int>(groups.size());
  out.result.split_by = "layers";
  for (size_t g = 0; g + 1 < bounds.size(); ++g) {
    out.result.split.push_back(LayerRange(net, bounds[g], bounds[g + 1]));
  }
  out.result.reruns = reruns;
  return out;
}

// A dataset: worker w runs images [first, end); worker 0 also image 0 layer by layer.
NetworkRun RunImageShares(const PreparedRun& run, DeviceKind kind, int jobs) {
  const Program& program = run.compiled.program;
  const size_t n = run.prepared.net.layers.size();
  const size_t images = run.more_images.size() + 1;
  // Whole batches per worker.
  const size_t batch = static_cast<size_t>(program.batch);
  const size_t batches = (images + batch - 1) / batch;
  const size_t workers = std::min<size_t>(jobs, batches);
  std::vector<size_t> bounds;
  for (size_t w = 0; w <= workers; ++w) {
    bounds.push_back(std::min(images, batches * w / workers * batch));
  }
  const auto start = std::chrono::steady_clock::now();
  const auto task = [&](int w) {
    Measured m;
    std::unique_ptr<Device> device = MakeDevice(kind, run.hw);
    device->Run([&](Hal& hal) {
      LoadProgram(hal, program);
      RunImages(hal, run, bounds[w], bounds[w + 1], &m, {}, {});
    });
    ByteWriter out;
    out.U64(m.counters.size());
    for (size_t i = 0; i < m.counters.size(); ++i) {
      WriteCounters(&out, m.counters[i]);
      out.Bytes(m.outputs[i]);
    }
    out.U64(m.predictions.size());
    for (size_t k = 0; k < m.predictions.size(); ++k) {
      out.U64(m.exact_images[k]);
      out.U64(static_cast<uint64_t>(m.predictions[k]));
    }
    return out.Take();
  };
  const auto describe = [&](int w) {
    return fmt::format("worker for images {}..{}", bounds[w], bounds[w + 1] - 1);
  };
  if (run.request.progress) {
    fmt::print(stderr, "\r  {} images on {} worker processes ...", images, workers);
  }
  Measured m;
  for (const std::string& bytes : RunInProcesses(static_cast<int>(workers), task, describe)) {
    ByteReader r(bytes);
    const uint64_t layers = r.U64();
    if (layers != 0 && layers != n) throw SimulationError("worker result: bad layer count");
    for (uint64_t i = 0; i < layers; ++i) {
      m.counters.push_back(ReadCountersFrom(&r));
      m.outputs.push_back(r.Bytes());
    }
    const uint64_t count = r.U64();
    if (count > images) throw SimulationError("worker result: bad image count");
    for (uint64_t k = 0; k < count; ++k) {
      m.exact_images.push_back(r.U64() != 0);
      m.predictions.push_back(static_cast<int>(r.U64()));
    }
  }
  if (run.request.progress) fmt::print(stderr, "\r{:60}\r", "");
  if (m.counters.size() != n || m.predictions.size() + 1 != images) {
    throw SimulationError("internal: the worker processes did not run every image once");
  }
  NetworkRun out = Finish(run, kind, kind != DeviceKind::kFunctional, Since(start), std::move(m));
  out.result.workers = static_cast<int>(workers);
  out.result.split_by = "images";
  for (size_t w = 0; w < workers; ++w) {
    out.result.split.push_back(fmt::format("images {}..{}", bounds[w], bounds[w + 1] - 1));
  }
  return out;
}

}  // namespace

std::vector<size_t> SplitLayers(const Program& program, int groups) {
  const size_t n = program.layers.size();
  const size_t want = std::clamp<size_t>(groups < 1 ? 1 : groups, 1, std::max<size_t>(n, 1));
  std::vector<uint64_t> cost;
  for (const ProgramLayer& l : program.layers)
    cost.push_back(std::max<uint64_t>(1, l.estimated_cycles));
  const auto split = [&](uint64_t cap) {
    std::vector<size_t> bounds = {0};
    uint64_t sum = 0;
    for (size_t i = 0; i < n; ++i) {
      if (sum + cost[i] > cap && i > bounds.back()) {
        bounds.push_back(i);
        sum = 0;
      }
      sum += cost[i];
    }
    bounds.push_back(n);
    return bounds;
  };
  uint64_t lo = 0, hi = 0;
  for (uint64_t c : cost) lo = std::max(lo, c), hi += c;
  while (lo < hi) {  // the smallest largest group that `want` groups can have
    const uint64_t mid = lo + (hi - lo) / 2;
    if (split(mid).size() - 1 <= want) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return split(lo);
}

bool UsesWorkers(const PreparedRun& run) {
  // A batch's layers run in one process (the layer groups' start states assume one image).
  return run.request.jobs > 1 && !run.trace.enabled && run.request.inject_fault.empty() &&
         (run.request.dataset.empty()
              ? run.compiled.program.batch == 1 && run.prepared.net.layers.size() >= 2
              : run.more_images.size() + 1 > static_cast<size_t>(run.compiled.program.batch));
}

NetworkRun RunNetworkJobs(const PreparedRun& run, DeviceKind kind, const TraceRequest* trace) {
  if (trace || !UsesWorkers(run)) {
    std::unique_ptr<Device> device = MakeDevice(kind, run.hw);
    return RunNetwork(run, *device, trace);
  }
  if (!run.request.dataset.empty()) return RunImageShares(run, kind, run.request.jobs);
  return RunLayerGroups(run, kind, run.request.jobs);
}

}  // namespace sasim
