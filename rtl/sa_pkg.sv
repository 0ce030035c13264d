// sa_pkg: types and constants shared by the sasim RTL.
//
// The "ISA" sections mirror contract/isa.h (opcodes, buffer numbers, CSR offsets, controller
// states, performance counters in isa::Counter order) and the command encoding of
// contract/isa.cc (as packed structs over the 256-bit command, word 7 first).
// tests/rtl/isa_pkg_test.cc parses this file and holds every name and value equal to
// contract/isa.h; tests/rtl/ctrl_test.cc sends commands encoded by contract/isa.cc through the
// Verilated controller and checks the decoded fields. A renamed, renumbered or reordered entry
// on either side fails those tests.
//
// Modules refer to this package by scoped names (sa_pkg::X) rather than `import`: Yosys 0.23
// does not parse `import`.
package sa_pkg;

  // ---------------------------------------------------------------------------------------------
  // Arithmetic (docs/quantization.md, contract/quant.h).

  // Rounding of the requantizer's right shift (Rounding).
  typedef enum logic {
    RoundFloor       = 1'b0,  // arithmetic shift: truncation toward minus infinity
    RoundNearestEven = 1'b1   // round half to even, as PyTorch's quantized kernels
  } round_mode_e;

  // ---------------------------------------------------------------------------------------------
  // ISA: commands (contract/isa.h).

  localparam int unsigned CmdWords  = 8;              // isa::kCommandWords
  localparam int unsigned CmdBits   = CmdWords * 32;
  localparam int unsigned WordBytes = 16;             // isa::kWordBytes: SRAM word = DRAM beat
  localparam int unsigned DmaQueueDepth = 8;         // isa::kDmaQueueDepth: jobs queued
  localparam int unsigned DmaSlots  = 2;              // isa::kDmaSlots: jobs in flight
  localparam int unsigned FetchCommands = 8;          // isa::kFetchCommands: per fetch
  localparam int unsigned FifoCommands  = 32;         // isa::kFifoCommands: FIFO depth

  // Opcodes (isa::Opcode; word 0, bits 7:0).
  typedef enum logic [7:0] {
    OpEnd     = 8'd1,
    OpLoad    = 8'd2,
    OpStore   = 8'd3,
    OpCompute = 8'd4,
    OpSync    = 8'd5,
    OpSnap    = 8'd6,
    OpVector  = 8'd7
  } opcode_e;

  // Buffers a transfer names (isa::Buffer; LOAD/STORE word 0, bits 9:8). BufCounters is the
  // counter snapshot, the source of a SNAPSHOT's DMA job.
  typedef enum logic [1:0] {
    BufAct      = 2'd0,
    BufWeight   = 2'd1,
    BufOut      = 2'd2,
    BufCounters = 2'd3
  } buffer_e;

  // LOAD / STORE (isa::EncodeTransfer).
  typedef struct packed {
    logic [31:0] rsvd7;
    logic [15:0] rsvd6;
    logic [15:0] rows;         // word 6
    logic [15:0] rsvd5;
    logic [15:0] row_words;    // word 5
    logic [15:0] rsvd4;
    logic [15:0] sram_stride;  // word 4: words between rows
    logic [15:0] rsvd3;
    logic [15:0] sram_addr;    // word 3: buffer word address
    logic [31:0] dram_stride;  // word 2: bytes between rows
    logic [31:0] dram_addr;    // word 1: bytes
    logic [21:0] rsvd0;
    buffer_e     buffer;       // word 0, bits 9:8
    opcode_e     opcode;       // word 0, bits 7:0
  } cmd_transfer_t;

  // COMPUTE (isa::EncodeCompute).
  typedef struct packed {
    logic        [31:0] rsvd7;
    logic        [15:0] obuf_stride;  // word 6, bits 31:16
    logic signed [15:0] x_off;      // word 6
    logic         [3:0] rsvd5;
    logic         [3:0] lane_off;   // word 5, bits 27:24
    logic         [7:0] n_valid;    // word 5, bits 23:16
    logic        [15:0] obuf_base;  // word 5, bits 15:0
    logic        [15:0] wbuf_base;  // word 4
    logic        [15:0] abuf_base;
    logic        [15:0] out_width;  // word 3
    logic        [15:0] out_rows;
    logic signed [15:0] y_off;      // word 2
    logic        [15:0] in_rows;
    logic        [15:0] in_width;   // word 1
    logic        [15:0] channels;
    logic         [1:0] rsvd0;      // word 0
    logic               acc_out;    // bit 29: keep the sums in the PEs (no drain)
    logic               acc_in;     // bit 28: start from the PEs' sums, not the biases
    logic         [3:0] stride;
    logic         [3:0] kernel_w;
    logic         [3:0] kernel_h;
    logic         [4:0] shift;
    logic               pool;
    round_mode_e        round;
    logic               relu;
    opcode_e            opcode;
  } cmd_compute_t;

  // VECTOR operations (isa::VectorOp; word 0, bits 9:8).
  typedef enum logic [1:0] {
    VecMaxPool = 2'd0,  // lane-wise maximum over the window's taps inside the input
    VecAvgPool = 2'd1,  // mean of the window's codes, rounded half to even
    VecAdd     = 2'd2   // AddRequantize of two tensors, lane by lane
  } vec_op_e;

  // VECTOR (isa::EncodeVector).
  typedef struct packed {
    logic        [31:0] recip;           // word 7: avg: floor((2^32 - 1) / (kernel_h * kernel_w))
    logic        [15:0] rsvd6;
    logic signed [15:0] x_off;           // word 6
    logic signed [15:0] y_off;           // word 5
    logic        [15:0] o_base;
    logic        [15:0] b_base;          // word 4
    logic        [15:0] a_base;
    logic        [15:0] out_width;       // word 3
    logic        [15:0] out_rows;
    logic        [15:0] in_width;        // word 2
    logic        [15:0] in_rows;
    logic        [15:0] channel_blocks;  // word 1
    logic         [7:0] kernel_w;
    logic         [7:0] kernel_h;
    logic         [7:0] stride;          // word 0
    logic         [3:0] b_shift;
    logic         [3:0] a_shift;
    logic         [4:0] out_shift;
    logic               relu;
    vec_op_e            op;
    opcode_e            opcode;
  } cmd_vector_t;

  // SYNC (isa::EncodeSync): wait for absolute job counts within the run.
  typedef struct packed {
    logic [159:0] rsvd7_3;
    logic  [31:0] compute_jobs;  // word 2
    logic  [31:0] dma_jobs;      // word 1
    logic  [23:0] rsvd0;
    opcode_e      opcode;
  } cmd_sync_t;

  // SNAPSHOT (isa::EncodeSnapshot).
  typedef struct packed {
    logic [191:0] rsvd7_2;
    logic  [31:0] dram_addr;  // word 1
    logic  [23:0] rsvd0;
    opcode_e      opcode;
  } cmd_snapshot_t;

  // ---------------------------------------------------------------------------------------------
  // ISA: CSR map (isa::csr; byte offsets on the MMIO port, 32-bit registers).

  localparam int unsigned CsrAddrW = 12;
  localparam logic [CsrAddrW-1:0] CsrId          = 12'h000;  // RO CsrIdValue
  localparam logic [CsrAddrW-1:0] CsrConfig      = 12'h004;  // RO rows[7:0] cols[15:8]
  localparam logic [CsrAddrW-1:0] CsrCtrl        = 12'h008;  // W bit 0 start
  localparam logic [CsrAddrW-1:0] CsrStatus      = 12'h00c;  // RO status_t
  localparam logic [CsrAddrW-1:0] CsrIrqEnable   = 12'h010;  // RW bit 0
  localparam logic [CsrAddrW-1:0] CsrIrqStatus   = 12'h014;  // RW1C bit 0
  localparam logic [CsrAddrW-1:0] CsrCmdBase     = 12'h018;  // RW command stream address
  localparam logic [CsrAddrW-1:0] CsrCmdIndex    = 12'h01c;  // RO index of the command
  localparam logic [CsrAddrW-1:0] CsrCtrlState   = 12'h020;  // RO ctrl_state_e
  localparam logic [CsrAddrW-1:0] CsrLastOpcode  = 12'h024;  // RO opcode of the command
  localparam logic [CsrAddrW-1:0] CsrCounterBase = 12'h040;  // RO counter i at +8i: lo, hi
  localparam logic [31:0]         CsrIdValue     = 32'h5341534d;  // "SASM"

  // STATUS register.
  typedef struct packed {
    logic [28:0] rsvd;
    logic        error;
    logic        done;
    logic        busy;
  } status_t;

  // Controller states (isa::CtrlState), as reported in the CTRL_STATE CSR.
  typedef enum logic [2:0] {
    CtrlIdle     = 3'd0,
    CtrlFetch    = 3'd1,
    CtrlDispatch = 3'd2,
    CtrlSync     = 3'd3,
    CtrlDone     = 3'd4,
    CtrlError    = 3'd5
  } ctrl_state_e;

  // ---------------------------------------------------------------------------------------------
  // ISA: performance counters (isa::Counter, in CSR and snapshot order; docs/isa.md).

  typedef enum logic [4:0] {
    CntCycles         = 5'd0,
    CntBusyCycles     = 5'd1,
    CntStallLoad      = 5'd2,
    CntStallStore     = 5'd3,
    CntStallFetch     = 5'd4,
    CntMacs           = 5'd5,
    CntMacsZero       = 5'd6,
    CntAbufReads      = 5'd7,
    CntAbufWrites     = 5'd8,
    CntWbufReads      = 5'd9,
    CntWbufWrites     = 5'd10,
    CntObufReads      = 5'd11,
    CntObufWrites     = 5'd12,
    CntDramReadBytes  = 5'd13,
    CntDramWriteBytes = 5'd14,
    CntRequantOps     = 5'd15,
    CntPoolOps        = 5'd16,
    CntCommands       = 5'd17,
    CntCmdFetchBytes  = 5'd18,
    CntIssueCycles    = 5'd19,
    CntVecOps         = 5'd20,
    CntAccWraps       = 5'd21
  } counter_e;
  localparam int unsigned NumCounters   = 22;                           // isa::kNumCounters
  // A SNAPSHOT writes NumCounters - 1 slots: stall_fetch's slot holds acc_wraps (the last
  // counter), and the host derives stall_fetch (isa::kSnapshotCounters, contract/isa.h).
  localparam int unsigned SnapshotCounters = NumCounters - 1;                 // isa::kSnapshotCounters
  localparam int unsigned SnapshotBeats = (SnapshotCounters * 8 + 15) / 16;  // isa::kSnapshotBeats

  // ---------------------------------------------------------------------------------------------
  // Internal interfaces.

  // A decoded COMPUTE command (docs/isa.md), as the compute engine keeps it.
  typedef struct packed {
    logic               acc_in;   // the fold starts from the PEs' sums instead of the biases
    logic               acc_out;  // the fold's sums stay in the PEs: no drain, no output
    logic               relu;
    round_mode_e        round;
    logic               pool;
    logic        [4:0]  shift;
    logic        [3:0]  kernel_h;
    logic        [3:0]  kernel_w;
    logic        [3:0]  stride;
    logic        [15:0] channels;
    logic        [15:0] in_width;
    logic        [15:0] in_rows;
    logic signed [15:0] y_off;
    logic signed [15:0] x_off;
    logic        [15:0] out_rows;
    logic        [15:0] out_width;
    logic        [15:0] abuf_base;
    logic        [15:0] wbuf_base;
    logic        [15:0] obuf_base;
    logic        [15:0] obuf_stride;
    logic        [3:0]  lane_off;
    logic        [7:0]  n_valid;
  } compute_cmd_t;

  // A decoded VECTOR command (docs/isa.md), as the vector unit (sa_vec) keeps it: the fields of
  // cmd_vector_t with their widths, in the command's order (word 0 first), without the opcode
  // and reserved bits.
  typedef struct packed {
    vec_op_e            op;
    logic               relu;
    logic         [4:0] out_shift;
    logic         [3:0] a_shift;
    logic         [3:0] b_shift;
    logic         [7:0] stride;
    logic         [7:0] kernel_h;
    logic         [7:0] kernel_w;
    logic        [15:0] channel_blocks;
    logic        [15:0] in_rows;
    logic        [15:0] in_width;
    logic        [15:0] out_rows;
    logic        [15:0] out_width;
    logic        [15:0] a_base;
    logic        [15:0] b_base;
    logic        [15:0] o_base;
    logic signed [15:0] y_off;
    logic signed [15:0] x_off;
    logic        [31:0] recip;
  } vector_cmd_t;

  // A DMA job: `rows` rows of `row_words` 16-byte words (sa_dma).
  typedef enum logic [1:0] {
    DmaOpLoad  = 2'd0,  // DRAM -> activation or weight buffer
    DmaOpStore = 2'd1,  // output buffer or counter snapshot -> DRAM
    DmaOpFetch = 2'd2   // DRAM -> the controller's command FIFO
  } dma_op_e;

  typedef struct packed {
    dma_op_e     op;
    buffer_e     buffer;
    logic [31:0] dram_addr;    // bytes
    logic [31:0] dram_stride;  // bytes between rows
    logic [15:0] sram_addr;    // words
    logic [15:0] sram_stride;  // words between rows
    logic [15:0] row_words;
    logic [15:0] rows;
  } dma_job_t;
  localparam int unsigned DmaJobBits = 2 + 2 + 32 + 32 + 16 * 4;  // $bits(dma_job_t)

  // A DMA job in flight (sa_dma): where its beats go (or come from) and how far it has got.
  typedef struct packed {
    buffer_e     buffer;
    logic [15:0] row_words;
    logic [15:0] sram_stride;
    logic [15:0] word;        // the next beat's word in its row
    logic [15:0] row_sram;    // buffer address of word 0 of the next beat's row
    logic        wide;        // beats of up to BeatWords words (LOAD, STORE), else one word
    logic [31:0] beats_left;  // data words still to move
    logic [15:0] bursts;      // bursts issued
    logic [15:0] resp;        // write responses received
  } dma_slot_t;

  // What happened this cycle, for the performance counters (sa_csr; whether a run is going
  // comes from the controller directly).
  typedef struct packed {
    logic        comp_busy;        // the compute engine is working
    logic        dma_load;         // the DMA engine runs a LOAD
    logic        dma_store;        // ... a STORE or a SNAPSHOT
    logic        cmd_pop;          // a command finished dispatch
    logic        issue;            // a fold step or bubble goes to the array
    logic [15:0] macs;
    logic [15:0] macs_zero;
    logic [15:0] abuf_reads;
    logic  [3:0] abuf_writes;      // words
    logic  [7:0] wbuf_reads;       // words
    logic  [3:0] wbuf_writes;
    logic  [3:0] obuf_reads;       // by a STORE (not a SNAPSHOT)
    logic  [3:0] obuf_writes;      // words (a drained row of a wide array writes Cols / 16)
    logic  [3:0] dram_read_words;  // 16-byte words of a LOAD that arrived
    logic        cmd_fetch_beat;   // a 16-byte beat of a command fetch arrived
    logic  [3:0] dram_write_words; // 16-byte words that left (STORE, not SNAPSHOT)
    logic  [7:0] requant;
    logic  [7:0] pool;
    logic  [4:0] vec_ops;          // VECTOR lane operations (16 per activation word read)
    logic [15:0] acc_wraps;        // PEs whose accumulation step wrapped (sa_pe)
  } perf_events_t;

endpackage
