// report.html: one self-contained page (inline SVG drawn here, no scripts, no network) with the
// per-layer cycles split into array feeding, fill/drain and stalls, PE utilization against the
// roofline bound, energy by component, INT8 against FP32 energy, the hw config and the verdict.
#ifndef SASIM_HOST_REPORT_HTML_H_
#define SASIM_HOST_REPORT_HTML_H_

#include <string>

#include "host/report/report.h"

namespace sasim {

std::string ReportHtml(const RunResult& run);

}  // namespace sasim

#endif  // SASIM_HOST_REPORT_HTML_H_
