#include "sim/wave_views.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include <fmt/core.h>

#include "contract/errors.h"

namespace sasim {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kOpen = UINT64_MAX;  // a drain whose end is not yet seen

// The last "#time" of a VCD: read from its tail, so that a scan may stop early.
uint64_t LastTime(const std::string& path, uint64_t otherwise) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (!in || size <= 0) return otherwise;
  const std::streamoff from = std::max<std::streamoff>(0, size - 65536);
  in.seekg(from);
  std::string tail(static_cast<size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  for (size_t pos = tail.rfind("\n#"); pos != std::string::npos;
       pos = pos == 0 ? std::string::npos : tail.rfind("\n#", pos - 1)) {
    const char* digits = tail.c_str() + pos + 2;
    if (*digits >= '0' && *digits <= '9') return std::strtoull(digits, nullptr, 10);
  }
  return otherwise;
}

// The value of a "[key] value" line of a save file, or "".
std::string Setting(const std::vector<std::string>& lines, const std::string& key) {
  for (const auto& line : lines) {
    if (line.rfind(key + " ", 0) == 0) return line.substr(key.size() + 1);
  }
  return "";
}

int IntSetting(const std::vector<std::string>& lines, const std::string& key, int otherwise,
               const std::string& where) {
  const std::string v = Setting(lines, key);
  if (v.empty()) return otherwise;
  try {
    return std::stoi(v);
  } catch (const std::exception&) {
    throw InputError(fmt::format("{}: {} '{}': expected a number", where, key, v));
  }
}

}  // namespace

DumpEvents ScanVcd(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw SimulationError(fmt::format("cannot read the waveform {} to place its views", path));
  }
  enum Signal { kClk, kValid, kFirst, kOut, kVecBusy, kSignals };
  const std::string array = "accel.sa_top.u_compute.u_array.";
  const std::map<std::string, Signal> watched = {{"accel.clk_i", kClk},
                                                 {array + "in_valid_i", kValid},
                                                 {array + "in_first_i", kFirst},
                                                 {array + "out_valid_o", kOut},
                                                 {"accel.sa_top.u_vec.busy_o", kVecBusy}};
  std::unordered_map<std::string, std::vector<Signal>> ids;
  std::vector<std::string> scope;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string tok;
    ss >> tok;
    if (tok == "$scope") {
      std::string kind, name;
      ss >> kind >> name;
      scope.push_back(name);
    } else if (tok == "$upscope") {
      if (!scope.empty()) scope.pop_back();
    } else if (tok == "$var") {
      std::string kind, width, id, name, full;
      ss >> kind >> width >> id >> name;
      for (const auto& s : scope) full += s + ".";
      const auto it = watched.find(full + name);
      if (it != watched.end()) ids[id].push_back(it->second);
    } else if (tok == "$enddefinitions") {
      break;
    }
  }

  DumpEvents ev;
  bool value[kSignals] = {};
  bool stepping_first = false, draining = false, vector_busy = false, seen_time = false;
  uint64_t time = 0, first_rise = kOpen;
  // After all changes of a time step: the events that step shows.
  const auto settle = [&] {
    const bool first_step = value[kValid] && value[kFirst];
    if (first_step && !stepping_first && ev.fold_starts.size() < kMaxMarkedFolds) {
      ev.fold_starts.push_back(time);
    }
    stepping_first = first_step;
    // Drains of folds that started before the dump are not the dump's.
    if (value[kOut] && !draining && !ev.fold_starts.empty() && ev.drains.size() < 2) {
      ev.drains.emplace_back(time, kOpen);
    }
    if (!value[kOut] && draining && !ev.drains.empty() && ev.drains.back().second == kOpen) {
      ev.drains.back().second = time;
    }
    draining = value[kOut];
    if (value[kVecBusy] && !vector_busy && ev.vector_runs.size() < 2) {
      ev.vector_runs.emplace_back(time, kOpen);
    }
    if (!value[kVecBusy] && vector_busy && !ev.vector_runs.empty() &&
        ev.vector_runs.back().second == kOpen) {
      ev.vector_runs.back().second = time;
    }
    vector_busy = value[kVecBusy];
  };
  const auto done = [&] {
    // Stops early once it has what the views need: the folds, or the vector unit's commands
    // (the folds' when the vector unit has not run by then).
    const bool folds = ev.fold_starts.size() == kMaxMarkedFolds && ev.drains.size() == 2 &&
                       ev.drains[1].second != kOpen;
    const bool vectors = ev.vector_runs.size() == 2 && ev.vector_runs[1].second != kOpen;
    return ev.period != 0 && (folds || vectors) && (ev.vector_runs.empty() || vectors);
  };
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (seen_time) settle();
      if (done()) break;
      time = std::strtoull(line.c_str() + 1, nullptr, 10);
      if (!seen_time) ev.start = time;
      seen_time = true;
      continue;
    }
    std::string id;
    char bit;
    if (line[0] == 'b') {
      const size_t space = line.find(' ');
      if (space == std::string::npos) continue;
      id = line.substr(space + 1);
      bit = line[space - 1];  // a watched signal is one bit wide
    } else {
      id = line.substr(1);
      bit = line[0];
    }
    const auto it = ids.find(id);
    if (it == ids.end()) continue;
    for (const Signal s : it->second) {
      const bool v = bit == '1';
      if (s == kClk && v && !value[kClk] && seen_time) {
        if (first_rise == kOpen) {
          first_rise = time;
        } else if (ev.period == 0) {
          ev.period = time - first_rise;
        }
      }
      value[s] = v;
    }
  }
  if (!in.eof() && in.fail() && !done()) {
    throw SimulationError(fmt::format("reading the waveform {} failed", path));
  }
  if (seen_time && !done()) settle();
  ev.end = LastTime(path, time);
  for (auto& [begin, end] : ev.drains) end = std::min(end, ev.end);
  for (auto& [begin, end] : ev.vector_runs) end = std::min(end, ev.end);
  return ev;
}

ViewSpan SpanOf(SpanKind kind, const DumpEvents& ev) {
  ViewSpan span;
  const uint64_t period = std::max<uint64_t>(ev.period, 1);
  const uint64_t margin = 8 * period;
  if (kind == SpanKind::kVector) {
    if (ev.vector_runs.empty()) {
      span.begin = ev.start;
      span.end = ev.start + 64 * period;
    } else {
      const auto [v0, v1] = ev.vector_runs[0];
      span.begin = v0 - std::min(v0 - ev.start, margin);
      span.end = std::min(v1, v0 + 96 * period) + margin;
      span.marker = static_cast<int64_t>(v0);
    }
  } else if (ev.fold_starts.empty()) {
    span.begin = ev.start;
    span.end = ev.start + (kind == SpanKind::kLayer ? 4000 : 64) * period;
  } else {
    // The end of the first two folds: the second drain, else (sums kept in the array, or a
    // window that ends) the third fold's start, the first drain, the dump's end.
    const uint64_t two_folds = ev.drains.size() >= 2        ? ev.drains[1].second
                               : ev.fold_starts.size() >= 3 ? ev.fold_starts[2]
                               : !ev.drains.empty()         ? ev.drains[0].second
                                                            : ev.end;
    const uint64_t first = ev.fold_starts[0];
    // Room for the marker's name at the left: a 30th of the span, at least 8 cycles.
    const uint64_t room = std::max(margin, (std::max(two_folds, first) - first) / 30);
    span.marker = static_cast<int64_t>(first);
    span.begin = first - std::min(first - ev.start, room);
    span.end = two_folds + room;
    if (kind == SpanKind::kLayer) span.begin = ev.start;
    if (kind == SpanKind::kDrain && !ev.drains.empty()) {
      const auto [d0, d1] = ev.drains[0];
      span.begin = d0 - std::min(d0 - ev.start, margin);
      span.end = d1 + margin;
      span.marker = static_cast<int64_t>(d0);
    }
  }
  span.end = std::max(std::min(span.end, ev.end), std::min(span.begin + 16 * period, ev.end));
  if (span.end <= span.begin) span.end = span.begin + period;
  return span;
}

std::string ViewText(const std::string& template_text, const std::string& template_path,
                     const std::string& template_dir, const std::string& dump,
                     const std::string& view, const DumpEvents& events) {
  std::vector<std::string> lines;
  {
    std::istringstream in(template_text);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  // What the view opens on.
  static const std::map<std::string, SpanKind> kKinds = {{"folds", SpanKind::kFolds},
                                                         {"layer", SpanKind::kLayer},
                                                         {"drain", SpanKind::kDrain},
                                                         {"vector", SpanKind::kVector}};
  const std::string kSpanLine = "[*] sasim span: ";
  std::string kind_name;
  for (const auto& line : lines) {
    if (line.rfind(kSpanLine, 0) == 0) kind_name = line.substr(kSpanLine.size());
  }
  if (!kKinds.count(kind_name)) {
    throw InputError(
        fmt::format("{}: needs a line '{}folds' (or layer, drain, vector): what the view opens on",
                    template_path, kSpanLine));
  }
  const ViewSpan span = SpanOf(kKinds.at(kind_name), events);

  // The zoom that fits the span into the waves pane: GTKWave shows 2^-zoom time units per 200
  // pixels; the pane is the window less the signals pane and, with the tree (SST) folded
  // away, 64 pixels of borders. 5% is left over.
  const int width = IntSetting(lines, "[size]", 1400, template_path);
  const int signals = IntSetting(lines, "[signals_width]", 340, template_path);
  if (IntSetting(lines, "[sst_expanded]", 1, template_path) != 0) {
    throw InputError(
        fmt::format("{}: needs '[sst_expanded] 0' (the waves pane's width is known only with "
                    "the tree folded away)",
                    template_path));
  }
  const int tree = IntSetting(lines, "[sst_width]", 0, template_path);
  const double pane = std::max(100, width - signals - tree - 64) * 0.95;
  const double zoom = -std::log2(static_cast<double>(span.end - span.begin) * 200.0 / pane);

  // Filters are named under the template's [savefile] folder; they are in template_dir.
  std::string saved_dir;
  const std::string saved = Setting(lines, "[savefile]");
  if (saved.size() > 2 && saved.front() == '"' && saved.back() == '"') {
    saved_dir = fs::path(saved.substr(1, saved.size() - 2)).parent_path().string() + "/";
  }

  std::string out;
  out += fmt::format("[*] {}\n",
                     lines.empty() ? "" : lines[0].substr(std::min<size_t>(4, lines[0].size())));
  out += fmt::format("[*] Written by sim_run from {} for this dump: it opens on {} ({}..{} ps),\n",
                     template_path,
                     kind_name == "folds"   ? "the first two folds"
                     : kind_name == "layer" ? "the dump's start to the end of the first two folds"
                                            : "the first fold's drain",
                     span.begin, span.end);
  out += fmt::format("[*] named markers A.. at fold starts (the first {}). docs/waveforms.md.\n",
                     kMaxMarkedFolds);
  out += kSpanLine + kind_name + "\n";
  out += fmt::format("[dumpfile] \"{}\"\n", dump);
  out += fmt::format("[savefile] \"{}\"\n", view);
  out += fmt::format("[timestart] {}\n", span.begin);
  std::string markers = fmt::format("*{:.6f} {}", zoom, span.marker);
  for (size_t i = 0; i < kMaxMarkedFolds; ++i) {
    markers += i < events.fold_starts.size() ? fmt::format(" {}", events.fold_starts[i]) : " -1";
  }
  out += markers + "\n";
  for (size_t i = 0; i < events.fold_starts.size(); ++i) {
    out += fmt::format("[markername] {}fold {}\n", static_cast<char>('A' + i), i + 1);
  }
  for (const auto& line : lines) {
    if (line.rfind("[*]", 0) == 0 || line.rfind("[dumpfile]", 0) == 0 ||
        line.rfind("[savefile]", 0) == 0 || line.rfind("[timestart]", 0) == 0 ||
        line.rfind("[markername", 0) == 0 || line.rfind("*", 0) == 0) {
      continue;
    }
    if (line.size() > 3 && line[0] == '^' && line[1] != '>' && line[1] != '<') {
      // "^N path": a translate filter file.
      const size_t space = line.find(' ');
      std::string file = space == std::string::npos ? "" : line.substr(space + 1);
      if (!saved_dir.empty() && file.rfind(saved_dir, 0) == 0) {
        file = template_dir + "/" + file.substr(saved_dir.size());
      } else if (!file.empty() && file[0] != '/') {
        file = template_dir + "/" + file;
      }
      if (file.empty() || !fs::is_regular_file(file)) {
        throw InputError(
            fmt::format("{}: the filter {} does not exist (tools/gtkw_filters.py writes them)",
                        template_path, file));
      }
      out += line.substr(0, space) + " " + file + "\n";
      continue;
    }
    out += line + "\n";
  }
  return out;
}

std::vector<std::string> ViewTemplates(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const fs::path p = entry.path();
    if (p.extension() == ".gtkw" && p.stem().string().find('.') == std::string::npos) {
      names.push_back(p.stem().string());
    }
  }
  if (ec) {
    throw InputError(fmt::format("{}: cannot list the waveform views ({})", dir, ec.message()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ViewPath(const std::string& dump, const std::string& name) {
  return fs::path(dump).replace_extension("").string() + "." + name + ".gtkw";
}

}  // namespace sasim
