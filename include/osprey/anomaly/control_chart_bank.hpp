/** \file
 *  Banks of independent control charts that advance together: `EwmaBank` and `CusumBank` watch
 *  n series at once, one chart per series, and take one sample of every series per `update`.
 *
 *  The state is a structure of arrays (one contiguous array per quantity), so an update is a
 *  single pass of SIMD-friendly element-wise arithmetic whose speed is set by memory bandwidth
 *  once the bank outgrows the caches. Each chart behaves exactly as the single-stream `Ewma` /
 *  `Cusum` with the same Params and baseline (the tests check this).
 *
 *  Layout: a matrix of samples has one row per time step and one column per series (rows are
 *  samples, as everywhere in osprey); a row-major matrix keeps each time step contiguous.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "control_chart.hpp"
#include "cusum.hpp"
#include "ewma.hpp"

OSPREY_NAMESPACE_BEGIN

/** Alarms of a bank for one time step: 0, +1 or -1 per series. */
using AlarmVector = Eigen::Matrix<std::int8_t, Eigen::Dynamic, 1>;
/** Alarms of a bank over time: one row per time step, one column per series. */
using AlarmMatrix = Eigen::Matrix<std::int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace detail {

/** Per-series baselines of a bank from an in-control matrix (rows time, columns series), which
 *  must be finite also once converted to the bank's `Scalar` (row and column named). */
template <class Scalar, class Derived>
void fit_bank_baselines(const Eigen::MatrixBase<Derived>& X, const std::optional<double>& mean,
                        const std::optional<double>& sigma, SigmaEstimator estimator,
                        std::string_view bank, Vector<double>& means, Vector<double>& sigmas) {
  check_non_empty(X, "in_control");
  if (X.rows() < 2) fail(bank, ": in_control needs at least 2 samples (rows) (got ", X.rows(), ")");
  check_finite_as<Scalar>(X, "in_control");
  means.resize(X.cols());
  sigmas.resize(X.cols());
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    const auto est = estimate_location_scale(X.col(j), estimator);
    means(j) = given_or(mean, est.mean);
    sigmas(j) = given_or(sigma, est.sigma);
    if (!(sigmas(j) > 0.0)) {
      fail(bank, ": in_control column ", j, " has no spread (sigma estimate ", sigmas(j),
           "); give sigma in Params");
    }
  }
}

/** Validates user-given per-series baselines (finite in the bank's `Scalar` too). */
template <class Scalar, class D1, class D2>
void check_baselines(const Eigen::MatrixBase<D1>& mean, const Eigen::MatrixBase<D2>& sigma,
                     std::string_view bank) {
  if (mean.size() == 0) fail(bank, ": mean is empty");
  check_same_length(mean.size(), sigma.size(), "mean", "sigma");
  check_finite_as<Scalar>(mean.derived().reshaped(), "mean");
  for (Eigen::Index j = 0; j < sigma.size(); ++j) {
    const double s = static_cast<double>(sigma.derived().reshaped()(j));
    if (!(s > 0.0) || !std::isfinite(s))
      fail(bank, ": sigma must be > 0 (got ", s, " at index ", j, ")");
    if (!is_finite_as<Scalar>(s)) {
      fail(bank, ": sigma (", s, ") at index ", j, " is out of range for ", scalar_name<Scalar>(),
           " (largest finite value ", std::numeric_limits<Scalar>::max(), ")");
    }
  }
}

/** Pointer to the n contiguous samples of `x` (a vector), copying into `scratch` if needed;
 *  throws if x has the wrong size, a non-finite value or one out of Scalar's range (a double
 *  above FLT_MAX for float), naming the series, before any state changes. */
template <class Scalar, class Derived>
const Scalar* bank_input(const Eigen::MatrixBase<Derived>& x, Eigen::Index n,
                         Vector<Scalar>& scratch, std::string_view bank) {
  if (x.size() != n || (x.rows() != 1 && x.cols() != 1)) {
    fail(bank, " has ", n, " series but x has ", x.rows(), " x ", x.cols(), " samples");
  }
  if (!all_finite_as<Scalar>(x)) {
    for (Eigen::Index j = 0; j < n; ++j) {
      const auto v = x.derived().reshaped()(j);
      if (!std::isfinite(static_cast<double>(v))) {
        fail(bank, ": x contains a non-finite value (", v, ") at series ", j);
      }
      if (!is_finite_as<Scalar>(v)) {
        fail(bank, ": x has a value (", v, ") at series ", j, " that is out of range for ",
             scalar_name<Scalar>(), " (largest finite value ", std::numeric_limits<Scalar>::max(),
             ")");
      }
    }
  }
  if constexpr (std::is_same_v<typename Derived::Scalar, Scalar> &&
                (int(Eigen::internal::traits<Derived>::Flags) & Eigen::DirectAccessBit) != 0) {
    if (x.innerStride() == 1) return x.derived().data();
  }
  scratch = x.derived().reshaped().template cast<Scalar>();
  return scratch.data();
}

/** One CUSUM step of n independent charts. A free function with restrict parameters (g++
 *  honours restrict on parameters, and eight pointers exceed its runtime alias checks), in
 *  bitwise logic with unconditional loads, so it vectorises. */
template <class Scalar>
void cusum_bank_kernel(Eigen::Index n, const Scalar* OSPREY_RESTRICT x, Scalar* OSPREY_RESTRICT cu,
                       Scalar* OSPREY_RESTRICT cd, const Scalar* OSPREY_RESTRICT kup,
                       const Scalar* OSPREY_RESTRICT kdn, const Scalar* OSPREY_RESTRICT H,
                       const Scalar* OSPREY_RESTRICT st, std::int8_t* OSPREY_RESTRICT a,
                       int reset) {
  const Scalar zero(0);
  for (Eigen::Index j = 0; j < n; ++j) {
    const Scalar up0 = cu[j] + (x[j] - kup[j]);
    const Scalar dn0 = cd[j] + (kdn[j] - x[j]);
    const Scalar up = up0 > zero ? up0 : zero;
    const Scalar dn = dn0 > zero ? dn0 : zero;
    const int au = static_cast<int>(up > H[j]);
    const int ad = static_cast<int>(dn > H[j]);
    const int upper = au & ((ad ^ 1) | static_cast<int>(up >= dn));
    const int lower = ad & (upper ^ 1);
    const int restart = reset & (upper | lower);
    const Scalar s0 = st[j];
    cu[j] = restart != 0 ? s0 : up;
    cd[j] = restart != 0 ? s0 : dn;
    a[j] = static_cast<std::int8_t>(upper - lower);
  }
}

/** One EWMA step of n charts with per-chart sample counts (reset_on_alarm); see
 *  cusum_bank_kernel. The counts saturate at t_cap = exact_until + 1; fac holds the tabulated
 *  exact-limit factors f_1..f_K and a final 1 (EwmaLimitFactors::data()).
 *  \pre every count stays <= K, or the table covers every exact factor (t_cap <= K + 1). */
template <class Scalar>
void ewma_bank_reset_kernel(Eigen::Index n, const Scalar* OSPREY_RESTRICT x,
                            Scalar* OSPREY_RESTRICT z, const Scalar* OSPREY_RESTRICT m,
                            const Scalar* OSPREY_RESTRICT hw, std::int32_t* OSPREY_RESTRICT ts,
                            const Scalar* OSPREY_RESTRICT fac, std::int32_t n_factor,
                            std::int32_t t_cap, Scalar lam, Scalar oml,
                            std::int8_t* OSPREY_RESTRICT a) {
  for (Eigen::Index j = 0; j < n; ++j) {
    const Scalar zj = kernels::mul_add(oml, z[j], lam * x[j]);
    const std::int32_t t1 = ts[j] + 1;
    const std::int32_t t = t1 < t_cap ? t1 : t_cap;
    const std::int32_t k = t < n_factor + 1 ? t : n_factor + 1;  // fac[k - 1] valid
    const Scalar f = fac[k - 1];
    const Scalar mj = m[j];
    const int aj = static_cast<int>(zj > kernels::mul_add(hw[j], f, mj)) -
                   static_cast<int>(zj < kernels::mul_add(-hw[j], f, mj));
    z[j] = aj != 0 ? mj : zj;
    ts[j] = aj != 0 ? 0 : t;
    a[j] = static_cast<std::int8_t>(aj);
  }
}

/** ewma_bank_reset_kernel for counts beyond the table: each factor through `factors`. */
template <class Scalar>
void ewma_bank_reset_kernel_long(Eigen::Index n, const Scalar* x, Scalar* z, const Scalar* m,
                                 const Scalar* hw, std::int32_t* ts,
                                 const EwmaLimitFactors<Scalar>& factors, std::int32_t t_cap,
                                 Scalar lam, Scalar oml, std::int8_t* a) {
  for (Eigen::Index j = 0; j < n; ++j) {
    const Scalar zj = kernels::mul_add(oml, z[j], lam * x[j]);
    const std::int32_t t = std::min(ts[j] + 1, t_cap);
    const Scalar f = factors(t);
    const Scalar mj = m[j];
    const int aj = static_cast<int>(zj > kernels::mul_add(hw[j], f, mj)) -
                   static_cast<int>(zj < kernels::mul_add(-hw[j], f, mj));
    z[j] = aj != 0 ? mj : zj;
    ts[j] = aj != 0 ? 0 : t;
    a[j] = static_cast<std::int8_t>(aj);
  }
}

}  // namespace detail

/** n independent EWMA charts (see `Ewma`) advanced together, in structure-of-arrays form.
 *
 *  Params are `Ewma`'s and shared by every series; a mean or sigma given in Params applies to
 *  every series, the rest is estimated per column by `fit` or given by `set_baselines`. Each
 *  series' statistic, limits and alarms are bit-identical to a single `Ewma` with the same
 *  Params and baseline, at every t: both take the half-width from the same
 *  `detail::ewma_asymptotic_half_width` and `detail::EwmaLimitFactors` (with the same cap).
 *
 *  \tparam ScalarT float or double.
 *  Complexity: O(n) per update, about 6 flops and 17 (float) bytes of traffic per series.
 *  Thread safety: one thread per bank for `update`/`detect`/`reset`.
 */
template <class ScalarT = double>
class EwmaBank {
 public:
  using Scalar = ScalarT;                         ///< type of samples and statistics
  using Params = typename Ewma<ScalarT>::Params;  ///< the single chart's parameters

  /** An unfitted bank. \throws InvalidArgument for a bad parameter. */
  explicit EwmaBank(const Params& params = Params{}) : params_(params) {
    (void)Ewma<ScalarT>(params);  // validates with the single chart's messages
  }

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }

  /** Per-series baselines from an in-control matrix (rows time, columns series); restarts.
   *  \throws InvalidArgument for fewer than two rows, a non-finite value or a flat column. */
  template <class Derived>
  EwmaBank& fit(const Eigen::MatrixBase<Derived>& in_control) {
    Vector<double> m, s;
    detail::fit_bank_baselines<Scalar>(in_control, params_.mean, params_.sigma,
                                       params_.sigma_estimator, "EwmaBank", m, s);
    build(m, s);
    return *this;
  }

  /** Gives the per-series baselines directly; restarts. */
  template <class D1, class D2>
  EwmaBank& set_baselines(const Eigen::MatrixBase<D1>& mean, const Eigen::MatrixBase<D2>& sigma) {
    detail::check_baselines<Scalar>(mean, sigma, "EwmaBank");
    build(mean.derived().reshaped().template cast<double>(),
          sigma.derived().reshaped().template cast<double>());
    return *this;
  }

  /** True once baselines are known. */
  [[nodiscard]] bool is_fitted() const noexcept { return n_ > 0; }
  /** Number of series. */
  [[nodiscard]] Eigen::Index n_series() const noexcept { return n_; }

  /** One sample of every series (a vector of n_series()). \returns the alarms of this step
   *  (a reference to the bank's buffer, valid until the next update).
   *  \throws NotFittedError before fit; InvalidArgument for a wrong size or a non-finite value
   *  (series named), before any state changes. */
  template <class Derived>
  const AlarmVector& update(const Eigen::MatrixBase<Derived>& x) {
    detail::check_fitted(is_fitted(), "EwmaBank");
    const Scalar* xs = detail::bank_input<Scalar>(x, n_, scratch_, "EwmaBank");
    step(xs);
    return alarms_;
  }

  /** Feeds a matrix (rows time, columns series) and returns every alarm. */
  template <class Derived>
  AlarmMatrix detect(const Eigen::MatrixBase<Derived>& X) {
    detail::check_fitted(is_fitted(), "EwmaBank");
    if (X.cols() != n_)
      detail::fail("EwmaBank has ", n_, " series but X has ", X.cols(), " columns");
    detail::check_finite_as<Scalar>(X, "X");
    AlarmMatrix out(X.rows(), n_);
    for (Eigen::Index t = 0; t < X.rows(); ++t) {
      out.row(t) = update(X.row(t)).transpose();
    }
    return out;
  }

  /** Restarts every chart (z = mean, t = 0). */
  void reset() noexcept {
    for (Eigen::Index j = 0; j < n_; ++j) z_[j] = m_[j];
    std::fill(t_.begin(), t_.end(), 0);
    t_max_ = 0;
  }

  /** The current statistics z_t, one per series. */
  [[nodiscard]] const Vector<Scalar>& statistic() const noexcept { return z_; }

 private:
  template <class D1, class D2>
  void build(const Eigen::MatrixBase<D1>& mean, const Eigen::MatrixBase<D2>& sigma) {
    n_ = mean.size();
    const double lam = params_.lambda;
    m_ = mean.template cast<Scalar>();
    hw_.resize(n_);
    for (Eigen::Index j = 0; j < n_; ++j) {
      hw_[j] = detail::ewma_asymptotic_half_width<Scalar>(lam, params_.L, sigma(j));
    }
    z_ = m_;
    alarms_ = AlarmVector::Zero(n_);
    t_.assign(static_cast<std::size_t>(n_), 0);
    t_max_ = 0;
    // Exact limits: half-width = asymptotic * f_t, as in Ewma.
    factors_ = detail::EwmaLimitFactors<Scalar>(lam, params_.exact_limits);
  }

  void step(const Scalar* OSPREY_RESTRICT x) {
    const Scalar lam = static_cast<Scalar>(params_.lambda);
    const Scalar oml = static_cast<Scalar>(1.0 - params_.lambda);
    Scalar* OSPREY_RESTRICT z = z_.data();
    const Scalar* OSPREY_RESTRICT m = m_.data();
    const Scalar* OSPREY_RESTRICT hw = hw_.data();
    std::int8_t* OSPREY_RESTRICT a = alarms_.data();
    const Eigen::Index n = n_;  // a local: the int8 alarm stores could alias a member
    // Counts stop at exact_until + 1 (< 2^31 - 1), past which every factor is 1.
    const auto t_cap = static_cast<std::int32_t>(factors_.exact_until() + 1);
    // Without resets every chart has seen t_max_ samples; with them, t_max_ bounds the counts.
    t_max_ = std::min(t_max_ + 1, t_cap);
    if (!params_.reset_on_alarm) {
      // One limit factor for the step.
      const Scalar f = factors_(t_max_);
      for (Eigen::Index j = 0; j < n; ++j) {
        const Scalar zj = kernels::mul_add(oml, z[j], lam * x[j]);
        z[j] = zj;
        // Limits as explicit multiply-adds, exactly as Ewma's step computes them.
        a[j] = static_cast<std::int8_t>(static_cast<int>(zj > kernels::mul_add(hw[j], f, m[j])) -
                                        static_cast<int>(zj < kernels::mul_add(-hw[j], f, m[j])));
      }
      return;
    }
    const auto n_table = static_cast<std::int32_t>(factors_.n_table());
    if (t_max_ <= n_table || t_cap <= n_table + 1) {
      detail::ewma_bank_reset_kernel(n, x, z, m, hw, t_.data(), factors_.data(), n_table, t_cap,
                                     lam, oml, a);
    } else {  // some count may be past the table (lambda below ~3e-4): factors one by one
      detail::ewma_bank_reset_kernel_long(n, x, z, m, hw, t_.data(), factors_, t_cap, lam, oml, a);
    }
  }

  Params params_;
  Eigen::Index n_ = 0;
  Vector<Scalar> z_, m_, hw_, scratch_;
  std::vector<std::int32_t> t_;
  detail::EwmaLimitFactors<Scalar> factors_;
  std::int32_t t_max_ = 0;
  AlarmVector alarms_;
};

/** n independent two-sided CUSUM charts (see `Cusum`) advanced together, in
 *  structure-of-arrays form. Params are `Cusum`'s, shared by every series.
 *
 *  \tparam ScalarT float or double.
 *  Complexity: O(n) per update, about 10 flops and 21 (float) bytes of traffic per series.
 *  Thread safety: one thread per bank for `update`/`detect`/`reset`.
 */
template <class ScalarT = double>
class CusumBank {
 public:
  using Scalar = ScalarT;                          ///< type of samples and statistics
  using Params = typename Cusum<ScalarT>::Params;  ///< the single chart's parameters

  /** An unfitted bank. \throws InvalidArgument for a bad parameter. */
  explicit CusumBank(const Params& params = Params{}) : params_(params) {
    (void)Cusum<ScalarT>(params);
  }

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }

  /** Per-series baselines from an in-control matrix (rows time, columns series); restarts. */
  template <class Derived>
  CusumBank& fit(const Eigen::MatrixBase<Derived>& in_control) {
    Vector<double> m, s;
    detail::fit_bank_baselines<Scalar>(in_control, params_.mean, params_.sigma,
                                       params_.sigma_estimator, "CusumBank", m, s);
    build(m, s);
    return *this;
  }

  /** Gives the per-series baselines directly; restarts. */
  template <class D1, class D2>
  CusumBank& set_baselines(const Eigen::MatrixBase<D1>& mean, const Eigen::MatrixBase<D2>& sigma) {
    detail::check_baselines<Scalar>(mean, sigma, "CusumBank");
    build(mean.derived().reshaped().template cast<double>(),
          sigma.derived().reshaped().template cast<double>());
    return *this;
  }

  /** True once baselines are known. */
  [[nodiscard]] bool is_fitted() const noexcept { return n_ > 0; }
  /** Number of series. */
  [[nodiscard]] Eigen::Index n_series() const noexcept { return n_; }

  /** One sample of every series; see EwmaBank::update. */
  template <class Derived>
  const AlarmVector& update(const Eigen::MatrixBase<Derived>& x) {
    detail::check_fitted(is_fitted(), "CusumBank");
    const Scalar* xs = detail::bank_input<Scalar>(x, n_, scratch_, "CusumBank");
    step(xs);
    return alarms_;
  }

  /** Feeds a matrix (rows time, columns series) and returns every alarm. */
  template <class Derived>
  AlarmMatrix detect(const Eigen::MatrixBase<Derived>& X) {
    detail::check_fitted(is_fitted(), "CusumBank");
    if (X.cols() != n_) {
      detail::fail("CusumBank has ", n_, " series but X has ", X.cols(), " columns");
    }
    detail::check_finite_as<Scalar>(X, "X");
    AlarmMatrix out(X.rows(), n_);
    for (Eigen::Index t = 0; t < X.rows(); ++t) out.row(t) = update(X.row(t)).transpose();
    return out;
  }

  /** Restarts every chart at its headstart. */
  void reset() noexcept {
    cu_ = start_;
    cd_ = start_;
  }

  /** The current upper sums C+. */
  [[nodiscard]] const Vector<Scalar>& upper_sum() const noexcept { return cu_; }
  /** The current lower sums C- (>= 0). */
  [[nodiscard]] const Vector<Scalar>& lower_sum() const noexcept { return cd_; }

 private:
  template <class D1, class D2>
  void build(const Eigen::MatrixBase<D1>& mean, const Eigen::MatrixBase<D2>& sigma) {
    n_ = mean.size();
    kup_ = (mean.array() + params_.k * sigma.array()).matrix().template cast<Scalar>();
    kdn_ = (mean.array() - params_.k * sigma.array()).matrix().template cast<Scalar>();
    H_ = (params_.h * sigma.array()).matrix().template cast<Scalar>();
    start_ = (params_.fir_headstart * params_.h * sigma.array()).matrix().template cast<Scalar>();
    alarms_ = AlarmVector::Zero(n_);
    reset();
  }

  void step(const Scalar* x) {
    detail::cusum_bank_kernel(n_, x, cu_.data(), cd_.data(), kup_.data(), kdn_.data(), H_.data(),
                              start_.data(), alarms_.data(), params_.reset_on_alarm ? 1 : 0);
  }

  Params params_;
  Eigen::Index n_ = 0;
  Vector<Scalar> cu_, cd_, kup_, kdn_, H_, start_, scratch_;
  AlarmVector alarms_;
};

OSPREY_NAMESPACE_END
