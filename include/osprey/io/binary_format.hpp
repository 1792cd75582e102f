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
 *  read past its end) throw `osprey::FormatError` with a message that names the model, e.g.
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
#include <utility>

#include "../core/error.hpp"
#include "../core/types.hpp"
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

/** Throws FormatError("<model>::load: <what...>"). */
template <class... Args>
[[noreturn]] void format_fail(const BinaryFormat& format, Args&&... what) {
  throw FormatError(concat(format.model, "::load: ", std::forward<Args>(what)...));
}

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
 *  FormatError ("<model>::load: the <noun> data is truncated"). */
class ByteReader {
 public:
  /** Reads `bytes` (not copied: they must outlive the reader), the payload of a file of
   *  format `version` (0 where the envelope carries none that a payload depends on). */
  ByteReader(std::string_view bytes, const BinaryFormat& format, std::uint32_t version = 0) noexcept
      : bytes_(bytes), format_(&format), version_(version) {}
  /** The format version of the file being read: a serialiser reads the payload layout of
   *  that version. */
  [[nodiscard]] std::uint32_t version() const noexcept { return version_; }
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
    if (remaining() < k) format_fail(*format_, "the ", format_->noun, " data is truncated");
    const std::string_view out = bytes_.substr(pos_, k);
    pos_ += k;
    return out;
  }
  std::string_view bytes_;
  const BinaryFormat* format_;
  std::uint32_t version_ = 0;
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
 *  \throws FormatError if the stream ends first. */
inline void read_exactly(std::istream& in, std::uint64_t k, std::string& body,
                         const BinaryFormat& format) {
  char chunk[1 << 16];
  while (body.size() < k) {
    const std::uint64_t left = k - body.size();
    const auto n = static_cast<std::streamsize>(std::min<std::uint64_t>(left, sizeof(chunk)));
    in.read(chunk, n);
    const std::streamsize got = in.gcount();
    body.append(chunk, static_cast<std::size_t>(got));
    if (got < n) format_fail(format, "the ", format.noun, " data is truncated");
  }
}

/** Reads `length` payload bytes and the checksum after them from `in`, checks the FNV-1a sum
 *  of `head` (the envelope bytes before the payload) and the payload, and returns the payload.
 *  \throws FormatError if the stream ends first or the checksum differs. */
[[nodiscard]] inline std::string read_checked_body(std::istream& in, std::uint64_t length,
                                                   std::string_view head,
                                                   const BinaryFormat& format) {
  const std::uint64_t wanted = length + kEnvelopeTailBytes;
  if (wanted < length) format_fail(format, "the ", format.noun, " data is truncated");
  std::string body;
  read_exactly(in, wanted, body, format);
  ByteReader tail(std::string_view(body).substr(static_cast<std::size_t>(length)), format);
  const std::uint64_t stored = tail.u64();
  if (fnv1a64(std::string_view(body).substr(0, static_cast<std::size_t>(length)), fnv1a64(head)) !=
      stored) {
    format_fail(format, "checksum mismatch (the ", format.noun, " data is corrupted)");
  }
  body.resize(static_cast<std::size_t>(length));
  return body;
}

/** Reads the rest of one envelope of `format` from `in`, whose 8 magic bytes were already read
 *  and matched, and returns its payload, checked (see read_envelope). */
[[nodiscard]] inline std::string read_envelope_after_magic(std::istream& in,
                                                           const BinaryFormat& format) {
  std::string head(format.magic, 8);
  head.resize(kEnvelopeHeadBytes);
  in.read(head.data() + 8, static_cast<std::streamsize>(kEnvelopeHeadBytes - 8));
  if (static_cast<std::size_t>(in.gcount()) < kEnvelopeHeadBytes - 8) {
    format_fail(format, "the ", format.noun, " data is truncated");
  }
  ByteReader h(std::string_view(head).substr(8), format);
  const std::uint32_t version = h.u32();
  if (version != format.version) {
    format_fail(format, "unsupported format version ", version, " (this build reads version ",
                format.version, ")");
  }
  return read_checked_body(in, h.u64(), head, format);
}

/** Reads one envelope of `format` from `in` (the stream is left just after it) and returns its
 *  payload, checked.
 *  \throws FormatError if the data is truncated, has other magic bytes ("not an osprey
 *  <model> (bad magic bytes)"), another version ("unsupported format version"), or fails the
 *  checksum ("checksum mismatch"). */
[[nodiscard]] inline std::string read_envelope(std::istream& in, const BinaryFormat& format) {
  char magic[8];
  in.read(magic, 8);
  if (in.gcount() < 8) format_fail(format, "the ", format.noun, " data is truncated");
  if (std::memcmp(magic, format.magic, 8) != 0) {
    format_fail(format, "not an osprey ", format.model, " (bad magic bytes)");
  }
  return read_envelope_after_magic(in, format);
}

/** Magic bytes of every model file osprey writes since 0.2 (docs/model-format.md). */
inline constexpr char kModelMagic[8] = {'O', 'S', 'P', 'R', 'E', 'Y', 'M', 'D'};
/** The model-file format version this build writes; it reads every version up to this one.
 *  Version 2 (osprey 0.4): the scalers store n_samples_seen as an f64 weight sum and the kNN
 *  estimators their sample weights. Version 3: IsolationForest stores its extension_level and,
 *  for an Extended Isolation Forest, the hyperplane trees; StandardScaler the low part of its
 *  running mean. Version 4: NearestNeighbors stores its rows' ids after add or remove
 *  (docs/model-format.md). */
inline constexpr std::uint32_t kModelFormatVersion = 4;
/** The byte-order marker: written as a little-endian u32, so the file reads 04 03 02 01. */
inline constexpr std::uint32_t kByteOrderMarker = 0x01020304U;
/** The longest type tag a file may carry. */
inline constexpr std::size_t kMaxTypeTag = 255;

/** Serialisers of the models, one specialisation `Serial::Io<Model>` per serialisable class
 *  template (io/serialize/, anomaly/detail/isolation_io.hpp). Each model class declares
 *  `friend struct detail::Serial;`, which lets these read and restore its private state. An
 *  `Io<E>` has `format` (a BinaryFormat naming the model), `tag()` (the type tag, e.g.
 *  "NearestNeighbors<float,Minkowski<3>>"), `scalar_bytes`, `write(const E&, ByteWriter&)`
 *  (throws NotFittedError for an unfitted model) and `read(ByteReader&)`, which validates the
 *  whole payload. */
struct Serial {
  /** Primary template: not serialisable. */
  template <class E>
  struct Io {
    static constexpr bool supported = false;  ///< no serialiser for E
  };
};

/** True when `osprey::save` and `osprey::load` support E. */
template <class E>
concept SerializableModel = Serial::Io<E>::supported;

/** The whole file of `model`: the model envelope around its payload (docs/model-format.md).
 *  \throws NotFittedError for an unfitted model. Nothing is written on a throw. */
template <class E>
[[nodiscard]] std::string model_file(const E& model) {
  using IoE = Serial::Io<E>;
  ByteWriter payload;
  IoE::write(model, payload);
  const std::string tag = IoE::tag();
  ByteWriter file;
  file.bytes().append(kModelMagic, 8);
  file.u32(kModelFormatVersion);
  file.u32(kByteOrderMarker);
  file.u8(IoE::scalar_bytes);
  file.u8(static_cast<std::uint8_t>(tag.size()));
  file.bytes() += tag;
  file.u64(static_cast<std::uint64_t>(payload.bytes().size()));
  file.bytes() += payload.bytes();
  file.u64(fnv1a64(file.bytes()));
  return std::move(file.bytes());
}

/** Writes `model` to `out` in the model format. \throws NotFittedError for an unfitted model
 *  (nothing written); Error if the stream fails. */
template <class E>
void save_model(const E& model, std::ostream& out) {
  const std::string bytes = model_file(model);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out)
    throw Error(concat(Serial::Io<E>::format.model, "::save: writing to the stream failed"));
}

/** A checked payload and the format version of the file it came from. */
struct ModelPayload {
  std::string bytes;          ///< the payload
  std::uint32_t version = 0;  ///< the file's format version
};

/** Reads the model-envelope header after the magic bytes and returns the payload, checked: the
 *  version, the byte order, the type tag and Scalar (against E's) and the checksum. */
template <class E>
[[nodiscard]] ModelPayload read_model_envelope(std::istream& in) {
  using IoE = Serial::Io<E>;
  const BinaryFormat& f = IoE::format;
  std::string head(kModelMagic, 8);
  head.resize(8 + 4 + 4 + 1 + 1);
  in.read(head.data() + 8, 10);
  if (in.gcount() < 10) format_fail(f, "the ", f.noun, " data is truncated");
  ByteReader h(std::string_view(head).substr(8), f);
  const std::uint32_t version = h.u32();
  if (version == 0 || version > kModelFormatVersion) {
    format_fail(f, "the file has format version ", version, "; this build reads versions 1 to ",
                kModelFormatVersion, " (a newer osprey wrote it)");
  }
  if (h.u32() != kByteOrderMarker) format_fail(f, "bad byte-order marker (corrupted file)");
  const std::uint8_t scalar_bytes = h.u8();
  std::string tag(h.u8(), '\0');
  in.read(tag.data(), static_cast<std::streamsize>(tag.size()));
  if (static_cast<std::size_t>(in.gcount()) < tag.size()) {
    format_fail(f, "the ", f.noun, " data is truncated");
  }
  const std::string want = IoE::tag();
  if (tag != want) format_fail(f, "the file holds a ", tag, ", not a ", want);
  if (scalar_bytes != IoE::scalar_bytes) {
    format_fail(f, "the file's scalar size ", int{scalar_bytes}, " does not match its type ", tag);
  }
  head += tag;
  char length_bytes[8];
  in.read(length_bytes, 8);
  if (in.gcount() < 8) format_fail(f, "the ", f.noun, " data is truncated");
  head.append(length_bytes, 8);
  ByteReader l(std::string_view(length_bytes, 8), f);
  return {read_checked_body(in, l.u64(), head, f), version};
}

/** Parses a checked payload with `read`, which must consume all of it; an InvalidArgument from
 *  a constructor or validator it calls becomes a FormatError naming the model. */
template <class E, class Read>
[[nodiscard]] E parse_payload(std::string_view payload, Read read, std::uint32_t version = 0) {
  const BinaryFormat& f = Serial::Io<E>::format;
  ByteReader r(payload, f, version);
  try {
    E model = read(r);
    if (r.remaining() != 0) {
      format_fail(f, "corrupted ", f.noun, " data: ", r.remaining(), " bytes after the payload");
    }
    return model;
  } catch (const InvalidArgument& e) {
    format_fail(f, "corrupted ", f.noun, " data: ", e.what());
  }
}

/** Reads one model of type E from `in` (the stream is left just after it). A type whose `Io`
 *  has `legacy` (a BinaryFormat) also reads that older envelope, parsed by `read_legacy`.
 *  \throws FormatError for anything but a valid file of E. */
template <class E>
[[nodiscard]] E load_model(std::istream& in) {
  using IoE = Serial::Io<E>;
  const BinaryFormat& f = IoE::format;
  char magic[8];
  in.read(magic, 8);
  if (in.gcount() < 8) format_fail(f, "the ", f.noun, " data is truncated");
  if constexpr (requires { IoE::legacy; }) {
    if (std::memcmp(magic, IoE::legacy.magic, 8) == 0) {
      return parse_payload<E>(read_envelope_after_magic(in, IoE::legacy),
                              [](ByteReader& r) { return IoE::read_legacy(r); });
    }
  }
  if (std::memcmp(magic, kModelMagic, 8) != 0) {
    format_fail(f, "not an osprey model file (bad magic bytes)");
  }
  const ModelPayload payload = read_model_envelope<E>(in);
  return parse_payload<E>(
      payload.bytes, [](ByteReader& r) { return IoE::read(r); }, payload.version);
}

}  // namespace detail
OSPREY_NAMESPACE_END
