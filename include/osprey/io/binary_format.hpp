/** \file
 *  osprey's binary model format: little-endian byte writer and bounds-checked reader, the FNV-1a
 *  checksum, and the versioned envelope every saved model is wrapped in. All of it lives in
 *  `osprey::detail`: models build their payload with `ByteWriter`, wrap it with
 *  `write_envelope`, and read it back with `read_envelope` and `ByteReader`.
 *
 *  Envelope layout (all integers little-endian, whatever the host):
 *
 *  | field | bytes |
 *  | --- | --- |
 *  | magic (names the model, e.g. "OSPREYIF") | 8 |
 *  | format version (u32) | 4 |
 *  | payload length L (u64) | 8 |
 *  | payload | L |
 *  | FNV-1a 64 checksum of every byte before it (u64) | 8 |
 *
 *  Errors on reading (wrong magic, unsupported version, truncation, checksum mismatch, a payload
 *  read past its end) throw `osprey::InvalidArgument` with a message that names the model, e.g.
 *  "IsolationForest::load: the forest data is truncated". A failed stream write throws
 *  `osprey::Error`. Readers never allocate more than the stream actually holds.
 */
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>

#include "../core/error.hpp"
#include "../core/validation.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Identity of one model's binary format: its 8 magic bytes, the version this build writes and
 *  reads, and the names used in error messages ("<model>::load: the <noun> data is
 *  truncated"). Declare one `inline constexpr BinaryFormat` per model. */
struct BinaryFormat {
  const char* magic;  ///< exactly 8 bytes (not NUL-terminated in the file)
  std::uint32_t version;
  const char* model;  ///< class name, e.g. "IsolationForest"
  const char* noun;   ///< what the data holds, e.g. "forest"
};

/** Bytes of the envelope before the payload: magic, version, payload length. */
inline constexpr std::size_t kEnvelopeHeadBytes = 8 + 4 + 8;
/** Bytes of the envelope after the payload: the checksum. */
inline constexpr std::size_t kEnvelopeTailBytes = 8;

/** Little-endian byte writer. */
class ByteWriter {
 public:
  /** Appends one byte. */
  void u8(std::uint8_t v) { bytes_.push_back(static_cast<char>(v)); }
  /** Appends 4 bytes, least significant first. */
  void u32(std::uint32_t v) {
    for (unsigned k = 0; k < 4; ++k) bytes_.push_back(static_cast<char>((v >> (8 * k)) & 0xFFU));
  }
  /** Appends 8 bytes, least significant first. */
  void u64(std::uint64_t v) {
    for (unsigned k = 0; k < 8; ++k) bytes_.push_back(static_cast<char>((v >> (8 * k)) & 0xFFU));
  }
  /** Appends the IEEE-754 bits of `v` as a u64. */
  void f64(double v) { u64(std::bit_cast<std::uint64_t>(v)); }
  /** Appends a float as u32 bits or a double as u64 bits. */
  template <class Scalar>
  void scalar(Scalar v) {
    if constexpr (sizeof(Scalar) == 4) {
      u32(std::bit_cast<std::uint32_t>(v));
    } else {
      u64(std::bit_cast<std::uint64_t>(v));
    }
  }
  /** The bytes written so far (may be appended to directly). */
  [[nodiscard]] std::string& bytes() noexcept { return bytes_; }

 private:
  std::string bytes_;
};

/** Bounds-checked little-endian reader over a payload of `format`; running past the end throws
 *  InvalidArgument ("<model>::load: the <noun> data is truncated"). */
class ByteReader {
 public:
  /** Reads `bytes` (not copied: they must outlive the reader). */
  ByteReader(std::string_view bytes, const BinaryFormat& format) noexcept
      : bytes_(bytes), format_(&format) {}
  /** Reads one byte. */
  std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)[0]); }
  /** Reads 4 bytes, least significant first. */
  std::uint32_t u32() { return little_endian<std::uint32_t>(); }
  /** Reads 8 bytes, least significant first. */
  std::uint64_t u64() { return little_endian<std::uint64_t>(); }
  /** Reads a double from its u64 bits. */
  double f64() { return std::bit_cast<double>(u64()); }
  /** Reads a float from u32 bits or a double from u64 bits. */
  template <class Scalar>
  Scalar scalar() {
    if constexpr (sizeof(Scalar) == 4) {
      return std::bit_cast<Scalar>(u32());
    } else {
      return std::bit_cast<Scalar>(u64());
    }
  }
  /** Bytes not read yet. */
  [[nodiscard]] std::size_t remaining() const noexcept { return bytes_.size() - pos_; }

 private:
  /** Reads sizeof(U) bytes, least significant first, into the unsigned U. */
  template <class U>
  U little_endian() {
    const std::string_view b = take(sizeof(U));
    U v = 0;
    for (unsigned k = 0; k < sizeof(U); ++k) {
      v |= static_cast<U>(static_cast<unsigned char>(b[k])) << (8 * k);
    }
    return v;
  }
  std::string_view take(std::size_t k) {
    if (remaining() < k) fail(format_->model, "::load: the ", format_->noun, " data is truncated");
    const std::string_view out = bytes_.substr(pos_, k);
    pos_ += k;
    return out;
  }
  std::string_view bytes_;
  const BinaryFormat* format_;
  std::size_t pos_ = 0;
};

/** FNV-1a, 64 bit: detects any change of a single byte (each step is a bijection of the state).
 *  Pass the previous result as `h` to continue a checksum over several pieces. */
[[nodiscard]] inline std::uint64_t fnv1a64(std::string_view bytes,
                                           std::uint64_t h = 0xCBF29CE484222325ULL) noexcept {
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  return h;
}

/** Writes `payload` wrapped in `format`'s envelope (see the file comment) to `out`.
 *  \throws Error ("<model>::save: writing to the stream failed") if the stream fails. */
inline void write_envelope(std::ostream& out, const BinaryFormat& format,
                           std::string_view payload) {
  ByteWriter file;
  file.bytes().append(format.magic, 8);
  file.u32(format.version);
  file.u64(static_cast<std::uint64_t>(payload.size()));
  file.bytes() += payload;
  file.u64(fnv1a64(file.bytes()));
  out.write(file.bytes().data(), static_cast<std::streamsize>(file.bytes().size()));
  if (!out) throw Error(concat(format.model, "::save: writing to the stream failed"));
}

/** Reads `k` bytes from `in` into `body` in chunks of at most 64 KiB, so a corrupted length
 *  cannot make the reader allocate more than the stream holds.
 *  \throws InvalidArgument if the stream ends first. */
inline void read_exactly(std::istream& in, std::uint64_t k, std::string& body,
                         const BinaryFormat& format) {
  char chunk[1 << 16];
  while (body.size() < k) {
    const std::uint64_t left = k - body.size();
    const auto n = static_cast<std::streamsize>(std::min<std::uint64_t>(left, sizeof(chunk)));
    in.read(chunk, n);
    const std::streamsize got = in.gcount();
    body.append(chunk, static_cast<std::size_t>(got));
    if (got < n) fail(format.model, "::load: the ", format.noun, " data is truncated");
  }
}

/** Reads one envelope of `format` from `in` (the stream is left just after it) and returns its
 *  payload, checked.
 *  \throws InvalidArgument if the data is truncated, has other magic bytes ("not an osprey
 *  <model> (bad magic bytes)"), another version ("unsupported format version"), or fails the
 *  checksum ("checksum mismatch"). */
[[nodiscard]] inline std::string read_envelope(std::istream& in, const BinaryFormat& format) {
  const auto truncated = [&] {
    fail(format.model, "::load: the ", format.noun, " data is truncated");
  };
  std::string head(kEnvelopeHeadBytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  if (in.gcount() < 8 || std::memcmp(head.data(), format.magic, 8) != 0) {
    if (in.gcount() < 8) truncated();
    fail(format.model, "::load: not an osprey ", format.model, " (bad magic bytes)");
  }
  if (static_cast<std::size_t>(in.gcount()) < head.size()) truncated();
  ByteReader h(std::string_view(head).substr(8), format);
  const std::uint32_t version = h.u32();
  if (version != format.version) {
    fail(format.model, "::load: unsupported format version ", version,
         " (this build reads version ", format.version, ")");
  }
  const std::uint64_t length = h.u64();
  std::string body;
  const std::uint64_t wanted = length + kEnvelopeTailBytes;
  if (wanted < length) truncated();
  read_exactly(in, wanted, body, format);
  ByteReader tail(std::string_view(body).substr(length), format);
  const std::uint64_t stored = tail.u64();
  if (fnv1a64(std::string_view(body).substr(0, length), fnv1a64(head)) != stored) {
    fail(format.model, "::load: checksum mismatch (the ", format.noun, " data is corrupted)");
  }
  body.resize(static_cast<std::size_t>(length));
  return body;
}

}  // namespace detail
OSPREY_NAMESPACE_END
