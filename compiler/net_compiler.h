// Network compiler: the layers of a network (contract/layer.h), a DAG in topological order, with
// their weights -> one program: a DRAM plan, weight images and one command stream. Activations
// stay in DRAM between layers (C16 layout), each placed for its lifetime; after each
// layer the stream SYNCs and SNAPSHOTs the counters, so one run gives per-layer counters with
// no host round trip. The program is plain data: the runtime (host/runtime) consumes it without
// knowing the compiler.
#ifndef SASIM_COMPILER_NET_COMPILER_H_
#define SASIM_COMPILER_NET_COMPILER_H_

#include <cstdint>
#include <vector>

#include "compiler/layer_compiler.h"
#include "contract/program.h"

namespace sasim::compiler {

// The largest batch a program takes (CompileOptions::images, sim_run --batch).
inline constexpr int kMaxBatch = 256;

struct CompileOptions {
  // SYNC + SNAPSHOT after every layer (per-layer counters). Off for a single layer run on its
  // own, whose counters are read at the end.
  bool snapshot_per_layer = true;
  // Every layer's output stays in DRAM to the end of the run, where the host reads them all
  // back to check each layer. Off: a tensor's DRAM is reused once its last reader has run (a
  // skip connection's tensor lives until the add that reads it).
  bool keep_outputs = true;
  // Images per run (a batch): every tensor holds this many images' C16 tensors one after
  // another (Program::batch); layers run over all of them, a linear as one GEMM with a row per
  // image where BatchedLinearView allows (DramPlacement says how each layer runs).
  int images = 1;
};

// What the compiler decided for layer i, beside the program (reports and tests read it).
struct LayerPlan {
  TensorShape stored_input;  // how its (first) input is stored in DRAM
  Layer view;                // the layer as the hardware runs it (ArrayView of stored_input,
                             // or BatchedLinearView: DramPlacement::batched_gemm)
  Tiling tiling;
  DramPlacement place;
  CommandStats stats;
};

struct CompiledNet {
  Program program;
  std::vector<LayerPlan> plans;  // plans[i] of layer i
};

// Plans the program from shapes alone: tiling, DRAM layout, commands; no weight image yet.
// Throws CompileError naming the layer when one cannot run on `hw`, or the whole network
// when it does not fit the DRAM.
CompiledNet PlanNet(const std::vector<Layer>& layers, const HwConfig& hw,
                    const CompileOptions& options = {});

// PlanNet plus every layer's weight image (weights[i] belongs to layers[i]).
CompiledNet CompileNet(const std::vector<Layer>& layers, const std::vector<LayerWeights>& weights,
                       const HwConfig& hw, const CompileOptions& options = {});

// A network of one layer, without snapshots: what a driver call compiles.
CompiledNet CompileLayer(const Layer& layer, const LayerWeights& weights, const HwConfig& hw);

}  // namespace sasim::compiler

#endif  // SASIM_COMPILER_NET_COMPILER_H_
