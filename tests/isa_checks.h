// Checks on decoded commands shared by the ISA's unit test and the controller's RTL test.
#ifndef SASIM_TESTS_ISA_CHECKS_H_
#define SASIM_TESTS_ISA_CHECKS_H_

#include <gtest/gtest.h>

#include "contract/isa.h"

namespace sasim::testcases {

// Every field of a decoded COMPUTE equals the one that was encoded.
inline void ExpectSameCompute(const isa::Compute& d, const isa::Compute& c) {
  EXPECT_EQ(d.acc_in, c.acc_in);
  EXPECT_EQ(d.acc_out, c.acc_out);
  EXPECT_EQ(d.relu, c.relu);
  EXPECT_EQ(d.rounding, c.rounding);
  EXPECT_EQ(d.pool, c.pool);
  EXPECT_EQ(d.shift, c.shift);
  EXPECT_EQ(d.kernel_h, c.kernel_h);
  EXPECT_EQ(d.kernel_w, c.kernel_w);
  EXPECT_EQ(d.stride, c.stride);
  EXPECT_EQ(d.channels, c.channels);
  EXPECT_EQ(d.in_width, c.in_width);
  EXPECT_EQ(d.in_rows, c.in_rows);
  EXPECT_EQ(d.y_off, c.y_off);
  EXPECT_EQ(d.x_off, c.x_off);
  EXPECT_EQ(d.out_rows, c.out_rows);
  EXPECT_EQ(d.out_width, c.out_width);
  EXPECT_EQ(d.abuf_base, c.abuf_base);
  EXPECT_EQ(d.wbuf_base, c.wbuf_base);
  EXPECT_EQ(d.obuf_base, c.obuf_base);
  EXPECT_EQ(d.n_valid, c.n_valid);
}

// Every field of a decoded VECTOR equals the one that was encoded.
inline void ExpectSameVector(const isa::Vector& d, const isa::Vector& v) {
  EXPECT_EQ(d.op, v.op);
  EXPECT_EQ(d.relu, v.relu);
  EXPECT_EQ(d.out_shift, v.out_shift);
  EXPECT_EQ(d.a_shift, v.a_shift);
  EXPECT_EQ(d.b_shift, v.b_shift);
  EXPECT_EQ(d.stride, v.stride);
  EXPECT_EQ(d.kernel_h, v.kernel_h);
  EXPECT_EQ(d.kernel_w, v.kernel_w);
  EXPECT_EQ(d.channel_blocks, v.channel_blocks);
  EXPECT_EQ(d.in_rows, v.in_rows);
  EXPECT_EQ(d.in_width, v.in_width);
  EXPECT_EQ(d.out_rows, v.out_rows);
  EXPECT_EQ(d.out_width, v.out_width);
  EXPECT_EQ(d.a_base, v.a_base);
  EXPECT_EQ(d.b_base, v.b_base);
  EXPECT_EQ(d.o_base, v.o_base);
  EXPECT_EQ(d.y_off, v.y_off);
  EXPECT_EQ(d.x_off, v.x_off);
  EXPECT_EQ(d.recip, v.recip);
}

}  // namespace sasim::testcases

#endif  // SASIM_TESTS_ISA_CHECKS_H_
