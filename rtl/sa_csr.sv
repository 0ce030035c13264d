`include "sa_assert.svh"

// sa_csr: the CSRs on the MMIO slave port and the performance counters (docs/isa.md).
// Registers: IRQ_ENABLE, IRQ_STATUS (RW1C), CMD_BASE, the STATUS bits done and error (set by
// sa_ctrl's END and illegal-opcode events, cleared by a start), and sa_pkg::NumCounters 64-bit
// counters in isa::Counter order, zeroed by a start and advanced every cycle by the events of
// sa_top's blocks. A write of CTRL bit 0 is passed to sa_ctrl as start_o; it starts a run only
// while no run is going (running_i low). A SNAPSHOT freezes a copy of the counters (snap_take_i)
// that the DMA engine then reads as sa_pkg::SnapshotBeats beats: beat i holds slot 2i in bits
// 63:0 and slot 2i+1 in bits 127:64, slot s being counter s except that stall_fetch's slot holds
// acc_wraps, the last counter (NumCounters - 1 slots: 21 slots, 11 beats).
// Latency: reads are combinational; writes, events and the snapshot copy take effect on the
// clock edge (an event counts in the CSR read the cycle after it happened).
module sa_csr #(
  parameter int unsigned Rows = 16,
  parameter int unsigned Cols = 16
) (
  input  logic                            clk_i,
  input  logic                            rst_ni,
  // MMIO slave.
  input  logic                            csr_valid_i,
  input  logic                            csr_write_i,
  input  logic [sa_pkg::CsrAddrW-1:0]     csr_addr_i,
  input  logic [31:0]                     csr_wdata_i,
  output logic [31:0]                     csr_rdata_o,
  output logic                            irq_o,
  // To and from the controller (sa_ctrl).
  output logic                            start_o,
  output logic [31:0]                     cmd_base_o,
  input  logic                            running_i,
  input  logic                            end_i,
  input  logic                            error_i,
  input  logic                            snap_take_i,
  input  sa_pkg::ctrl_state_e             state_i,
  input  logic [31:0]                     cmd_index_i,
  input  logic [7:0]                      last_opcode_i,
  // Counter events of this cycle.
  input  sa_pkg::perf_events_t            events_i,
  // Counter snapshot, read by the DMA engine (SNAPSHOT).
  input  logic [15:0]                     snap_beat_idx_i,
  output logic [127:0]                    snap_beat_o
);

  localparam int unsigned NumCounters = sa_pkg::NumCounters;

  `SA_ASSERT_INIT(g_rows_fit_config, Rows >= 1 && Rows <= 255)
  `SA_ASSERT_INIT(g_cols_fit_config, Cols >= 1 && Cols <= 255)
  // Every counter has a CSR pair below the 12-bit MMIO window's end.
  `SA_ASSERT_INIT(g_counters_fit_map,
                  32'(sa_pkg::CsrCounterBase) + 8 * NumCounters <= (1 << sa_pkg::CsrAddrW))
  `SA_ASSERT_INIT(g_counter_enum_complete, NumCounters == 32'(sa_pkg::CntAccWraps) + 1)
  `SA_ASSERT_INIT(g_counters_indexable, NumCounters <= 32)

  logic        irq_en_q, irq_en_d;
  logic        irq_pending_q, irq_pending_d;
  logic        done_q, done_d;
  logic        error_q, error_d;
  logic [31:0] cmd_base_q, cmd_base_d;
  logic        csr_we;
  logic        restart;  // a start while no run is going

  // Counters are read through the CSRs; tracing them would double a waveform's size.
  /* verilator tracing_off */
  logic [63:0] counter_q [NumCounters];
  logic [63:0] counter_d [NumCounters];
  logic [63:0] counter_inc [NumCounters];
  logic [63:0] snap_q [NumCounters];
  logic [63:0] snap_d [NumCounters];
  /* verilator tracing_on */

  // The run's cycle counter (counter `cycles`, low 32 bits), traced so that a waveform shows
  // time in cycles: during run cycle N, as sim_run and the reports number them (--trace-cycles,
  // cycles.csv), it reads N. Nothing reads it (rtl/lint/verilator_waiver.vlt); it wraps after
  // 2^32 cycles (21 s at 200 MHz).
  logic [31:0] run_cycle;
  assign run_cycle = counter_q[sa_pkg::CntCycles][31:0];

  // CSR writes and run status. (start_o is kept out of the block below, which reads sa_ctrl's
  // events: one block for both would look like a combinational loop through sa_ctrl.)
  assign csr_we  = csr_valid_i && csr_write_i;
  assign start_o = csr_we && (csr_addr_i == sa_pkg::CsrCtrl) && csr_wdata_i[0];
  assign restart = start_o && !running_i;

  always_comb begin
    irq_en_d      = irq_en_q;
    irq_pending_d = irq_pending_q;
    done_d        = done_q;
    error_d       = error_q;
    cmd_base_d    = cmd_base_q;
    if (csr_we) begin
      unique case (csr_addr_i)
        sa_pkg::CsrIrqEnable: irq_en_d = csr_wdata_i[0];
        sa_pkg::CsrIrqStatus: if (csr_wdata_i[0]) irq_pending_d = 1'b0;
        sa_pkg::CsrCmdBase:   cmd_base_d = csr_wdata_i;
        default: ;
      endcase
    end
    if (restart) begin
      done_d  = 1'b0;
      error_d = 1'b0;
    end
    // The end of a run raises the interrupt even if software clears it in the same cycle.
    if (end_i) begin
      done_d        = 1'b1;
      irq_pending_d = 1'b1;
    end
    if (error_i) begin
      error_d       = 1'b1;
      irq_pending_d = 1'b1;
    end
  end

  // What each counter adds this cycle (docs/isa.md, "Performance counters").
  always_comb begin
    logic comp_idle;
    comp_idle = running_i && !events_i.comp_busy;
    for (int unsigned i = 0; i < NumCounters; i++) counter_inc[i] = '0;
    counter_inc[sa_pkg::CntCycles]         = 64'(running_i);
    counter_inc[sa_pkg::CntBusyCycles]     = 64'(running_i && events_i.comp_busy);
    counter_inc[sa_pkg::CntStallLoad]      = 64'(comp_idle && events_i.dma_load);
    counter_inc[sa_pkg::CntStallStore]     = 64'(comp_idle && events_i.dma_store);
    counter_inc[sa_pkg::CntStallFetch]     = 64'(comp_idle && !events_i.dma_load &&
                                                 !events_i.dma_store);
    counter_inc[sa_pkg::CntMacs]           = 64'(events_i.macs);
    counter_inc[sa_pkg::CntMacsZero]       = 64'(events_i.macs_zero);
    counter_inc[sa_pkg::CntAbufReads]      = 64'(events_i.abuf_reads);
    counter_inc[sa_pkg::CntAbufWrites]     = 64'(events_i.abuf_writes);
    counter_inc[sa_pkg::CntWbufReads]      = 64'(events_i.wbuf_reads);
    counter_inc[sa_pkg::CntWbufWrites]     = 64'(events_i.wbuf_writes);
    counter_inc[sa_pkg::CntObufReads]      = 64'(events_i.obuf_reads);
    counter_inc[sa_pkg::CntObufWrites]     = 64'(events_i.obuf_writes);
    counter_inc[sa_pkg::CntDramReadBytes]  = 64'(events_i.dram_read_words) *
                                             64'(sa_pkg::WordBytes);
    counter_inc[sa_pkg::CntDramWriteBytes] = 64'(events_i.dram_write_words) *
                                             64'(sa_pkg::WordBytes);
    counter_inc[sa_pkg::CntRequantOps]     = 64'(events_i.requant);
    counter_inc[sa_pkg::CntPoolOps]        = 64'(events_i.pool);
    counter_inc[sa_pkg::CntCommands]       = 64'(events_i.cmd_pop);
    counter_inc[sa_pkg::CntCmdFetchBytes]  = events_i.cmd_fetch_beat ?
                                             64'(sa_pkg::WordBytes) : 64'd0;
    counter_inc[sa_pkg::CntIssueCycles]    = 64'(events_i.issue);
    counter_inc[sa_pkg::CntVecOps]         = 64'(events_i.vec_ops);
    counter_inc[sa_pkg::CntAccWraps]       = 64'(events_i.acc_wraps);
  end

  always_comb begin
    for (int unsigned i = 0; i < NumCounters; i++) begin
      // A new run starts from zeroed counters.
      counter_d[i] = restart ? 64'd0 : counter_q[i] + counter_inc[i];
      snap_d[i]    = snap_take_i ? counter_q[i] : snap_q[i];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      irq_en_q      <= 1'b0;
      irq_pending_q <= 1'b0;
      done_q        <= 1'b0;
      error_q       <= 1'b0;
      cmd_base_q    <= '0;
      for (int unsigned i = 0; i < NumCounters; i++) begin
        counter_q[i] <= '0;
        snap_q[i]    <= '0;
      end
    end else begin
      irq_en_q      <= irq_en_d;
      irq_pending_q <= irq_pending_d;
      done_q        <= done_d;
      error_q       <= error_d;
      cmd_base_q    <= cmd_base_d;
      for (int unsigned i = 0; i < NumCounters; i++) begin
        counter_q[i] <= counter_d[i];
        snap_q[i]    <= snap_d[i];
      end
    end
  end

  // CSR reads.
  sa_pkg::status_t status;
  logic            unused_offset;
  always_comb begin
    logic [sa_pkg::CsrAddrW-1:0] offset;
    logic [sa_pkg::CsrAddrW-4:0] idx;
    logic [4:0]                  cidx;
    status        = '0;
    status.busy   = running_i;
    status.done   = done_q;
    status.error  = error_q;
    offset        = csr_addr_i - sa_pkg::CsrCounterBase;
    idx           = offset[sa_pkg::CsrAddrW-1:3];
    cidx          = idx[4:0];
    unused_offset = ^offset[1:0];  // registers are 32-bit: byte lanes are not decoded
    csr_rdata_o   = '0;
    unique case (csr_addr_i)
      sa_pkg::CsrId:         csr_rdata_o = sa_pkg::CsrIdValue;
      sa_pkg::CsrConfig:     csr_rdata_o = {16'd0, 8'(Cols), 8'(Rows)};
      sa_pkg::CsrStatus:     csr_rdata_o = 32'(status);
      sa_pkg::CsrIrqEnable:  csr_rdata_o = {31'd0, irq_en_q};
      sa_pkg::CsrIrqStatus:  csr_rdata_o = {31'd0, irq_pending_q};
      sa_pkg::CsrCmdBase:    csr_rdata_o = cmd_base_q;
      sa_pkg::CsrCmdIndex:   csr_rdata_o = cmd_index_i;
      sa_pkg::CsrCtrlState:  csr_rdata_o = 32'(state_i);
      sa_pkg::CsrLastOpcode: csr_rdata_o = 32'(last_opcode_i);
      default: begin
        if (csr_addr_i >= sa_pkg::CsrCounterBase && 32'(idx) < NumCounters) begin
          csr_rdata_o = offset[2] ? counter_q[cidx][63:32] : counter_q[cidx][31:0];
        end
      end
    endcase
  end

  // Snapshot beat i holds slots 2i (bits 63:0) and 2i+1 (bits 127:64); slot s is counter s,
  // except that stall_fetch's slot holds acc_wraps (the host derives stall_fetch).
  always_comb begin
    snap_beat_o = '0;
    for (int unsigned i = 0; i < sa_pkg::SnapshotCounters; i++) begin
      if (32'(snap_beat_idx_i) == i / 2) begin
        snap_beat_o[64*(i%2) +: 64] = (i == 32'(sa_pkg::CntStallFetch)) ?
                                      snap_q[sa_pkg::CntAccWraps] : snap_q[i];
      end
    end
  end
  `SA_ASSERT_INIT(g_acc_wraps_last, 32'(sa_pkg::CntAccWraps) == NumCounters - 1)

  assign irq_o      = irq_en_q && irq_pending_q;
  assign cmd_base_o = cmd_base_q;

  `SA_ASSERT(EndOnlyWhileRunning, (end_i || error_i) |-> running_i)
  `SA_ASSERT(NoEndAndError, !(end_i && error_i))
  `SA_ASSERT(SnapshotOnlyWhileRunning, snap_take_i |-> running_i)
  // One DMA job at a time: a running cycle is exactly one of busy, stall_load, stall_store and
  // stall_fetch, which is what lets the host derive stall_fetch from a snapshot.
  `SA_ASSERT(OneDmaJobAtATime, !(events_i.dma_load && events_i.dma_store))
  `SA_ASSERT_KNOWN(CsrValidKnown, csr_valid_i)
  `SA_ASSERT_KNOWN(IrqKnown, irq_o)

endmodule
