`include "sa_assert.svh"

// sa_dma_queue: the DMA engine's job queue. The controller's LOAD/STORE/SNAPSHOT jobs wait here
// (up to Depth of them) while the DMA engine is busy, so that dispatching one does not hold the
// command stream behind it; command fetches bypass the queue and go to the DMA engine first.
// The controller sends one job per cycle: a fetch only when fetch_ready_o is high, any other
// job only when push_ready_o is. Latency: a queued job reaches the DMA engine at the earliest
// the cycle after it was pushed.
module sa_dma_queue #(
  parameter int unsigned Depth = sa_pkg::DmaQueueDepth
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  // From the controller.
  input  logic             job_valid_i,
  input  sa_pkg::dma_job_t job_i,
  output logic             push_ready_o,   // room for a LOAD/STORE/SNAPSHOT
  output logic             fetch_ready_o,  // the DMA engine takes a fetch now
  output logic             empty_o,
  // To the DMA engine.
  output logic             dma_valid_o,
  input  logic             dma_ready_i,
  output sa_pkg::dma_job_t dma_job_o
);

  localparam int unsigned IdxW = $clog2(Depth);

  `SA_ASSERT_INIT(g_depth_pow2, Depth >= 2 && (1 << IdxW) == Depth)

  // Flat words, not the struct: Yosys 0.23 keeps no memory of packed structs. A memory: one
  // entry written a cycle, no reset.
  logic [sa_pkg::DmaJobBits-1:0] jobs_q [Depth];
  logic [IdxW-1:0]  rd_q, rd_d, wr_q, wr_d;
  logic [IdxW:0]    count_q, count_d;

  logic fetch, push, pop;

  always_comb begin
    fetch = job_valid_i && (job_i.op == sa_pkg::DmaOpFetch);
    push  = job_valid_i && !fetch;
    pop   = !fetch && (count_q != '0) && dma_ready_i;

    dma_valid_o   = fetch || pop;
    dma_job_o     = fetch ? job_i : jobs_q[rd_q];
    push_ready_o  = (32'(count_q) != Depth);
    fetch_ready_o = dma_ready_i;
    empty_o       = (count_q == '0);

    rd_d    = rd_q + (pop ? IdxW'(1) : '0);
    wr_d    = wr_q;
    count_d = count_q - (pop ? (IdxW+1)'(1) : '0);
    if (push) begin
      wr_d         = wr_q + IdxW'(1);
      count_d      = count_d + (IdxW+1)'(1);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_q    <= '0;
      wr_q    <= '0;
      count_q <= '0;
    end else begin
      rd_q    <= rd_d;
      wr_q    <= wr_d;
      count_q <= count_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (push) begin
      jobs_q[wr_q] <= job_i;
    end
  end

  `SA_ASSERT(PushOnlyWhenRoom, push |-> push_ready_o)
  `SA_ASSERT(FetchOnlyWhenReady, fetch |-> dma_ready_i)
  `SA_ASSERT_KNOWN(JobValidKnown, job_valid_i)

endmodule
