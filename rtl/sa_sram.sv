`include "sa_assert.svh"

// sa_sram: behavioural on-chip buffer of Words 128-bit words with ReadPorts read ports and one
// write port. Reads are combinational (a synthesizable version registers them, adding one
// pipeline stage and no throughput change); the write lands on the clock edge.
// Ports are flat vectors (Yosys): read port p's address is raddr_i[AddrW*p +: AddrW] and its
// word rdata_o[128*p +: 128]. rst_ni only qualifies the assertions.
// Latency: read 0 cycles, write 1 cycle.
// Buffers are not traced: their ports are the same nets as sa_top's, traced there when needed.
/* verilator tracing_off */
module sa_sram #(
  parameter int unsigned Words     = 1024,
  parameter int unsigned ReadPorts = 1,
  localparam int unsigned AddrW    = (Words > 1) ? $clog2(Words) : 1
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,
  input  logic                         we_i,
  input  logic [AddrW-1:0]             waddr_i,
  input  logic [127:0]                 wdata_i,
  input  logic [ReadPorts*AddrW-1:0]   raddr_i,
  output logic [ReadPorts*128-1:0]     rdata_o
);

  `SA_ASSERT_INIT(g_words_positive, Words >= 1)
  `SA_ASSERT_INIT(g_read_ports_positive, ReadPorts >= 1)

  logic [127:0] mem_q [Words];

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem_q[waddr_i] <= wdata_i;
    end
  end

  for (genvar p = 0; p < ReadPorts; p++) begin : g_read
    assign rdata_o[128*p +: 128] = mem_q[raddr_i[AddrW*p +: AddrW]];
  end

  `SA_ASSERT(WriteInRange, we_i |-> (32'(waddr_i) < Words))
  `SA_ASSERT_KNOWN(WriteEnableKnown, we_i)

endmodule
