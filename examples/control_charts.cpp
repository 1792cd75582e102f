// Monitors one Numenta Anomaly Benchmark series with an EWMA and a CUSUM chart, prints the alarms
// and writes a control-chart plot (series, statistics, limits, alarms, labelled windows).
//
//   control_charts <nab>/data/<group>/<file>.csv <out_dir> [season] [combined_windows.json]
//
// Control charts assume independent samples around a stable mean; a series with a daily or
// weekly cycle breaks that, so the example charts the residual of a seasonal naive forecast,
// r_t = x_t - x_{t - season} (season = 336 half-hour samples = one week for nyc_taxi; 0 charts
// the raw series). The charts are fitted on the first 15% of the samples (NAB's probationary
// period) and their limits come from a false-alarm budget through the ARL design helpers: an
// in-control average run length of 1,000 samples. The plot data go to <out_dir>/control_chart.dat
// with a gnuplot script beside it; when gnuplot is installed the example renders
// <out_dir>/control_chart.png.
#include <osprey/osprey.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Series {
  std::vector<std::string> time;
  Eigen::VectorXd value;
};

Series read_nab(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  Series s;
  std::vector<double> v;
  std::string line;
  std::getline(in, line);  // timestamp,value
  while (std::getline(in, line)) {
    const auto comma = line.find(',');
    if (comma == std::string::npos) continue;
    s.time.push_back(line.substr(0, comma));
    v.push_back(std::stod(line.substr(comma + 1)));
  }
  s.value = Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
  return s;
}

// The labelled windows of `key` ("group/file.csv") in NAB's combined_windows.json, as pairs of
// timestamps. A small scanner: the file is a flat map of lists of [start, end] string pairs.
std::vector<std::pair<std::string, std::string>> read_windows(const fs::path& json,
                                                              const std::string& key) {
  std::ifstream in(json);
  if (!in) return {};
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto pos = text.find("\"" + key + "\"");
  if (pos == std::string::npos) return {};
  pos = text.find('[', pos);
  std::vector<std::string> stamps;
  int depth = 0;
  for (auto i = pos; i < text.size(); ++i) {
    if (text[i] == '[') ++depth;
    if (text[i] == ']' && --depth == 0) break;
    if (text[i] == '"') {
      const auto end = text.find('"', i + 1);
      stamps.push_back(text.substr(i + 1, end - i - 1).substr(0, 19));
      i = end;
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i + 1 < stamps.size(); i += 2) out.emplace_back(stamps[i], stamps[i + 1]);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: control_charts <nab series.csv> <out_dir> [season] [windows.json]\n";
    return 2;
  }
  const fs::path csv = argv[1];
  const fs::path out_dir = argv[2];
  // data/<group>/<file>.csv -> labels/combined_windows.json next to data/.
  const Eigen::Index season = argc > 3 ? std::stol(argv[3]) : 0;
  const fs::path labels =
      argc > 4 ? fs::path(argv[4])
               : csv.parent_path().parent_path().parent_path() / "labels" / "combined_windows.json";
  const std::string key = csv.parent_path().filename().string() + "/" + csv.filename().string();
  fs::create_directories(out_dir);

  const Series s = read_nab(csv);
  const Eigen::Index n = s.value.size();
  const auto n_fit = static_cast<Eigen::Index>(0.15 * static_cast<double>(n));
  if (season < 0 || season + 2 > n_fit) {
    std::cerr << "season must be in [0, " << n_fit - 2 << "] (got " << season << ")\n";
    return 2;
  }
  // The charted signal: the residual of the seasonal naive forecast (or the series itself).
  Eigen::VectorXd r = s.value;
  if (season > 0) r.tail(n - season) = s.value.tail(n - season) - s.value.head(n - season);

  // Limits from a false-alarm budget: in-control ARL 1,000 samples for both charts.
  const double L = osprey::ewma_L_for_arl(0.2, 1000.0);
  const double h = osprey::cusum_h_for_arl(0.5, 1000.0);
  std::cout << std::setprecision(4) << "series " << key << ": " << n
            << " samples, fit on the first " << n_fit << "\nEWMA lambda = 0.2, L = " << L
            << "; CUSUM k = 0.5, h = " << h << " (in-control ARL 1000: " << 1000.0 / 1000.0
            << " false alarm per 1,000 samples)\n";

  osprey::Ewma<> ewma(
      {.lambda = 0.2, .L = L, .sigma_estimator = osprey::SigmaEstimator::sample_std});
  osprey::Cusum<> cusum({.k = 0.5, .h = h, .sigma_estimator = osprey::SigmaEstimator::sample_std});
  ewma.fit(r.segment(season, n_fit - season));
  cusum.fit(r.segment(season, n_fit - season));
  std::cout << "fitted mean " << ewma.mean() << ", sigma (sample standard deviation) "
            << ewma.sigma() << "\n";
  const osprey::Trace<double> te = ewma.trace(r.tail(n - n_fit));
  const osprey::Trace<double> tc = cusum.trace(r.tail(n - n_fit));

  const auto windows = read_windows(labels, key);
  std::vector<std::pair<Eigen::Index, Eigen::Index>> wi;  // windows as sample index ranges
  for (const auto& [a, b] : windows) {
    Eigen::Index lo = -1, hi = -1;
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto& t = s.time[static_cast<std::size_t>(i)];
      if (t >= a && t <= b) {
        if (lo < 0) lo = i;
        hi = i;
      }
    }
    if (lo >= 0) wi.emplace_back(lo, hi);
  }
  const auto in_window = [&](Eigen::Index i) {
    for (const auto& [lo, hi] : wi) {
      if (i >= lo && i <= hi) return true;
    }
    return false;
  };

  for (const auto& [name, tr] : {std::pair{"EWMA", &te}, std::pair{"CUSUM", &tc}}) {
    int total = 0, inside = 0;
    std::ostringstream first;
    for (Eigen::Index j = 0; j < tr->alarms.size(); ++j) {
      if (tr->alarms(j) == 0) continue;
      const Eigen::Index i = n_fit + j;
      ++total;
      inside += in_window(i) ? 1 : 0;
      if (total <= 5) {
        first << "  " << s.time[static_cast<std::size_t>(i)] << " "
              << (tr->alarms(j) > 0 ? "upper" : "lower") << (in_window(i) ? " (in window)" : "")
              << "\n";
      }
    }
    int hit = 0;
    for (const auto& [lo, hi] : wi) {
      for (Eigen::Index i = std::max(lo, n_fit); i <= hi; ++i) {
        if (tr->alarms(i - n_fit) != 0) {
          ++hit;
          break;
        }
      }
    }
    std::cout << name << ": " << total << " alarms, " << inside << " inside labelled windows; "
              << hit << " of " << wi.size() << " windows get an alarm. First alarms:\n"
              << first.str();
  }

  // Plot data: one row per monitored sample.
  const fs::path dat = out_dir / "control_chart.dat";
  {
    std::ofstream out(dat);
    out << "# index value ewma ucl lcl ewma_alarm cusum_up cusum_down H -H cusum_alarm residual\n";
    for (Eigen::Index j = 0; j < te.alarms.size(); ++j) {
      out << n_fit + j << ' ' << s.value(n_fit + j) << ' ' << te.upper_statistic(j) << ' '
          << te.upper_limit(j) << ' ' << te.lower_limit(j) << ' ' << te.alarms(j) << ' '
          << tc.upper_statistic(j) << ' ' << tc.lower_statistic(j) << ' ' << tc.upper_limit(j)
          << ' ' << tc.lower_limit(j) << ' ' << tc.alarms(j) << ' ' << r(n_fit + j) << '\n';
    }
  }
  const fs::path gp = out_dir / "control_chart.gp";
  const fs::path png = out_dir / "control_chart.png";
  {
    std::ofstream out(gp);
    const std::string what = season > 0 ? "weekly residual" : "series";
    out << "set terminal pngcairo size 1200,900 font 'sans,10' noenhanced\n"
        << "set output '" << png.string() << "'\n"
        << "set multiplot layout 3,1 title 'osprey control charts on NAB " << key
        << " (red bands: labelled anomaly windows)'\n"
        << "set key top left horizontal opaque\nset grid\nset xrange [" << n_fit << ":" << n - 1
        << "]\n";
    for (const auto& [lo, hi] : wi) {
      out << "set object rect from " << lo << ", graph 0 to " << hi
          << ", graph 1 fc rgb '#f6c6c6' fs solid 0.6 noborder behind\n";
    }
    out << "set ylabel 'value'\n"
        << "plot '" << dat.string() << "' using 1:2 with lines lc rgb '#555555' title 'series', '' "
        << "using 1:12 with lines lc rgb '#9467bd' title '" << what << " (charted)'\n"
        << "set ylabel 'EWMA of the " << what << "'\n"
        << "plot '" << dat.string() << "' using 1:3 with lines lc rgb '#2ca02c' title 'z(t)', '' "
        << "using 1:4 with lines dt 2 lc rgb 'black' title 'UCL / LCL', '' using 1:5 with lines "
        << "dt 2 lc rgb 'black' notitle, '' using 1:($6 != 0 ? $3 : 1/0) with points pt 7 ps 0.3 "
        << "lc rgb '#d62728' title 'alarm'\n"
        << "set ylabel 'CUSUM of the " << what << "'\nset xlabel 'sample'\n"
        << "plot '" << dat.string() << "' using 1:7 with lines lc rgb '#1f77b4' title 'C+', '' "
        << "using 1:8 with lines lc rgb '#ff7f0e' title '-C-', '' using 1:9 with lines dt 2 "
        << "lc rgb 'black' title '+H / -H', '' using 1:10 with lines dt 2 lc rgb 'black' notitle, "
        << "'' using 1:($11 > 0 ? $7 : ($11 < 0 ? $8 : 1/0)) with points pt 7 ps 0.3 "
        << "lc rgb '#d62728' title 'alarm'\n"
        << "unset multiplot\n";
  }
  std::cout << "wrote " << dat.string() << " and " << gp.string() << "\n";
  if (std::system("command -v gnuplot > /dev/null 2>&1") == 0) {
    const std::string cmd = "gnuplot '" + gp.string() + "'";
    if (std::system(cmd.c_str()) != 0) {
      std::cerr << "gnuplot failed on " << gp.string() << "\n";
      return 1;
    }
    std::cout << "rendered " << png.string() << "\n";
  } else {
    std::cout << "gnuplot not found: render with  gnuplot " << gp.string() << "\n";
  }
  return 0;
}
