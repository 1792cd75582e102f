// libFuzzer target: the CSV reader must either parse or throw osprey::InvalidArgument.
#include <cstddef>
#include <cstdint>
#include <osprey/io/csv.hpp>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const bool header = size > 0 && (data[0] & 1U) != 0;
  const bool comments = size > 0 && (data[0] & 2U) != 0;
  for (int variant = 0; variant < 3; ++variant) {
    std::istringstream in(text);
    osprey::CsvOptions options{.header = header, .comments = comments};
    if (variant == 1) options.label_index = -1;
    if (variant == 2 && header) options.label = "label";
    try {
      const auto table = osprey::read_csv<double>(in, options, "fuzz");
      if (table.X.rows() == 0 || !table.X.allFinite()) __builtin_trap();
      if (options.label_index && table.y.size() != table.X.rows()) __builtin_trap();
    } catch (const osprey::InvalidArgument&) {
    }
  }
  return 0;
}
