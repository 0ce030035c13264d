`include "sa_assert.svh"

// sa_sram: behavioural on-chip buffer of Words 128-bit words with ReadPorts read ports and
// WritePorts write ports. Reads are combinational (a synthesizable version registers them,
// adding one pipeline stage and no throughput change); writes land on the clock edge, to
// distinct addresses (a wide array's output row: one word per 16 channels).
// Ports are flat vectors (Yosys): read port p's address is raddr_i[AddrW*p +: AddrW] and its
// word rdata_o[128*p +: 128]; write port p likewise, its byte enables at wbe_i[16*p +: 16] (a
// narrow array writes its lanes of a word). rst_ni only qualifies the assertions.
// Latency: read 0 cycles, write 1 cycle.
// Buffers are not traced: their ports are the same nets as sa_top's, traced there when needed.
/* verilator tracing_off */
module sa_sram #(
  parameter int unsigned Words     = 1024,
  parameter int unsigned ReadPorts  = 1,
  parameter int unsigned WritePorts = 1,
  localparam int unsigned AddrW     = (Words > 1) ? $clog2(Words) : 1
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,
  input  logic [WritePorts-1:0]        we_i,
  input  logic [WritePorts*AddrW-1:0]  waddr_i,
  input  logic [WritePorts*128-1:0]    wdata_i,
  input  logic [WritePorts*16-1:0]     wbe_i,
  input  logic [ReadPorts*AddrW-1:0]   raddr_i,
  output logic [ReadPorts*128-1:0]     rdata_o
);

  `SA_ASSERT_INIT(g_words_positive, Words >= 1)
  `SA_ASSERT_INIT(g_read_ports_positive, ReadPorts >= 1)

  logic [127:0] mem_q [Words];

  always_ff @(posedge clk_i) begin
    for (int unsigned p = 0; p < WritePorts; p++) begin
      if (we_i[p] && (&wbe_i[16*p +: 16])) begin
        mem_q[waddr_i[AddrW*p +: AddrW]] <= wdata_i[128*p +: 128];
      end else if (we_i[p]) begin
        for (int unsigned b = 0; b < 16; b++) begin
          if (wbe_i[16*p + b]) begin
            mem_q[waddr_i[AddrW*p +: AddrW]][8*b +: 8] <= wdata_i[128*p + 8*b +: 8];
          end
        end
      end
    end
  end

  for (genvar p = 0; p < ReadPorts; p++) begin : g_read
    assign rdata_o[128*p +: 128] = mem_q[raddr_i[AddrW*p +: AddrW]];
  end

  for (genvar p = 0; p < WritePorts; p++) begin : g_write_checks
    `SA_ASSERT(WriteInRange, we_i[p] |-> (32'(waddr_i[AddrW*p +: AddrW]) < Words))
  end
  `SA_ASSERT_KNOWN(WriteEnableKnown, we_i)

endmodule
