// A small helper the examples use to draw their plots with gnuplot (Debian's gnuplot-nox):
// it writes each series to a data file beside the image, writes the gnuplot script, and runs
// gnuplot when it is installed. The data and script stay behind, so a plot can be redrawn or
// restyled by hand.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <string>
#include <vector>

namespace example {

/** One line or point set of a plot. */
struct Series {
  std::string title{};
  std::vector<double> x{};
  std::vector<double> y{};
  std::string style = "lines lw 2";  ///< gnuplot "with ..." clause
  std::string axes = "x1y1";         ///< "x1y2" to use the right-hand axis
};

/** A plot: its series plus free gnuplot commands placed before `plot`. */
struct Plot {
  std::string title{};
  std::string xlabel{};
  std::string ylabel{};
  std::vector<Series> series{};
  std::vector<std::string> commands{};  ///< e.g. "set logscale y", "set object rect ..."
  int width = 900;
  int height = 540;
};

/** True when a `gnuplot` program is on the PATH. */
inline bool have_gnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

/** Writes `<image without extension>.gp`, one `.dat` file per series, and renders `image`
 *  (SVG) with gnuplot when available. Returns true when the image was drawn. */
inline bool draw(const std::filesystem::path& image, const Plot& plot) {
  namespace fs = std::filesystem;
  fs::create_directories(image.parent_path().empty() ? fs::path(".") : image.parent_path());
  const fs::path stem = image.parent_path() / image.stem();
  std::ofstream gp(stem.string() + ".gp");
  gp << "set terminal svg size " << plot.width << "," << plot.height
     << " dynamic enhanced font 'sans,12' background '#ffffff'\n";
  gp << "set output '" << image.filename().string() << "'\n";
  gp << "set title \"" << plot.title << "\"\nset xlabel \"" << plot.xlabel << "\"\nset ylabel \""
     << plot.ylabel << "\"\nset grid\nset key outside right top\n";
  for (const auto& c : plot.commands) gp << c << "\n";
  gp << "plot ";
  for (std::size_t s = 0; s < plot.series.size(); ++s) {
    const auto& series = plot.series[s];
    const std::string data = stem.filename().string() + "_" + std::to_string(s) + ".dat";
    std::ofstream out(image.parent_path() / data);
    out << std::setprecision(10);
    for (std::size_t i = 0; i < series.x.size() && i < series.y.size(); ++i) {
      out << series.x[i] << ' ' << series.y[i] << '\n';
    }
    gp << (s ? ", " : "") << "'" << data << "' using 1:2 axes " << series.axes << " with "
       << series.style << " title \"" << series.title << "\"";
  }
  gp << "\n";
  gp.close();
  if (!have_gnuplot()) return false;
  const std::string dir = image.parent_path().empty() ? "." : image.parent_path().string();
  const std::string cmd =
      "cd '" + dir + "' && gnuplot '" + stem.filename().string() + ".gp' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0 && fs::exists(image);
}

}  // namespace example
