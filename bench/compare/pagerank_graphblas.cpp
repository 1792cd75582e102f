// SuiteSparse:GraphBLAS side of bench/compare/pagerank.py: the same power iteration as
// osprey::PageRank (damping 0.85, uniform teleport, dangling mass spread uniformly, stop when the
// L1 change < tol), written the way LAGraph writes PageRank: the transposed adjacency AT, a pull
// product w = AT (+.second) t with t = r ./ out_degree, then vector operations.
//
// It needs -lgraphblas, which the CMake glob over bench/compare/*.cpp does not add; without
// OSPREY_WITH_GRAPHBLAS it compiles to a stub. pagerank.py builds it directly:
//   g++ -O3 -march=native -std=c++20 -DOSPREY_WITH_GRAPHBLAS pagerank_graphblas.cpp -lgraphblas
// (or add to bench/CMakeLists.txt:
//   target_compile_definitions(compare_pagerank_graphblas PRIVATE OSPREY_WITH_GRAPHBLAS)
//   target_link_libraries(compare_pagerank_graphblas PRIVATE graphblas)  )
//
//   pagerank_graphblas EDGES.bin [--tol 1e-10] [--repeats 3] [--scores OUT.bin]
#include <cstdio>

#if !defined(OSPREY_WITH_GRAPHBLAS)
int main() {
  std::fprintf(stderr,
               "built without GraphBLAS: compile with -DOSPREY_WITH_GRAPHBLAS -lgraphblas "
               "(bench/compare/pagerank.py does this)\n");
  return 2;
}
#else
extern "C" {  // GraphBLAS.h is a C header without its own extern "C"
#include <GraphBLAS.h>
}

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#define OK(call)                                                                     \
  do {                                                                               \
    const GrB_Info info_ = (call);                                                   \
    if (info_ != GrB_SUCCESS && info_ != GrB_NO_VALUE) {                             \
      std::fprintf(stderr, "GraphBLAS error %d at line %d\n", (int)info_, __LINE__); \
      return 1;                                                                      \
    }                                                                                \
  } while (0)

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s EDGES.bin [--tol T] [--repeats R] [--scores OUT.bin]\n",
                 argv[0]);
    return 2;
  }
  double tol = 1e-10;
  int repeats = 3;
  std::string scores_path;
  for (int a = 2; a + 1 < argc; a += 2) {
    const std::string key = argv[a];
    if (key == "--tol")
      tol = std::stod(argv[a + 1]);
    else if (key == "--repeats")
      repeats = std::stoi(argv[a + 1]);
    else if (key == "--scores")
      scores_path = argv[a + 1];
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::int64_t header[2];
  in.read(reinterpret_cast<char*>(header), sizeof(header));
  const GrB_Index n = static_cast<GrB_Index>(header[0]);
  const GrB_Index m = static_cast<GrB_Index>(header[1]);
  std::vector<std::int32_t> raw(2 * m);
  in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size() * 4));
  if (!in) {
    std::fprintf(stderr, "short read\n");
    return 1;
  }
  // AT(j, i) = 1 for the edge i -> j (edges are distinct; PLUS would sum duplicates).
  std::vector<GrB_Index> rows(m), cols(m);
  std::vector<double> ones(m, 1.0);
  for (GrB_Index e = 0; e < m; ++e) {
    rows[e] = static_cast<GrB_Index>(raw[m + e]);
    cols[e] = static_cast<GrB_Index>(raw[e]);
  }
  raw = {};
  OK(GrB_init(GrB_NONBLOCKING));
  GrB_Matrix AT;
  OK(GrB_Matrix_new(&AT, GrB_FP64, n, n));
  OK(GrB_Matrix_build_FP64(AT, rows.data(), cols.data(), ones.data(), m, GrB_PLUS_FP64));
  rows = {};
  cols = {};
  ones = {};
  OK(GrB_Matrix_wait(AT, GrB_MATERIALIZE));
  // Out-degree d(i) = sum_j AT(j, i) (entries only for nodes with out-edges) and the dangling
  // indicator (1 where there is no out-edge).
  GrB_Vector dout, dangling;
  OK(GrB_Vector_new(&dout, GrB_FP64, n));
  OK(GrB_Matrix_reduce_Monoid(dout, nullptr, nullptr, GrB_PLUS_MONOID_FP64, AT, GrB_DESC_T0));
  OK(GrB_Vector_new(&dangling, GrB_FP64, n));
  OK(GrB_Vector_assign_FP64(dangling, dout, nullptr, 1.0, GrB_ALL, n, GrB_DESC_SC));
  OK(GrB_Vector_wait(dout, GrB_MATERIALIZE));
  OK(GrB_Vector_wait(dangling, GrB_MATERIALIZE));

  const double damping = 0.85;
  GrB_Vector r, r_new, t, w, delta;
  OK(GrB_Vector_new(&r, GrB_FP64, n));
  OK(GrB_Vector_new(&r_new, GrB_FP64, n));
  OK(GrB_Vector_new(&t, GrB_FP64, n));
  OK(GrB_Vector_new(&w, GrB_FP64, n));
  OK(GrB_Vector_new(&delta, GrB_FP64, n));

  double best = 1e300;
  int iterations = 0;
  double residual = 0.0;
  for (int rep = 0; rep < repeats; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    OK(GrB_Vector_assign_FP64(r, nullptr, nullptr, 1.0 / static_cast<double>(n), GrB_ALL, n,
                              nullptr));
    iterations = 0;
    for (int it = 1; it <= 1000; ++it) {
      // Dangling mass and t = r ./ dout.
      double dsum = 0.0;
      OK(GrB_Vector_eWiseMult_BinaryOp(delta, nullptr, nullptr, GrB_TIMES_FP64, r, dangling,
                                       nullptr));
      OK(GrB_Vector_reduce_FP64(&dsum, nullptr, GrB_PLUS_MONOID_FP64, delta, nullptr));
      OK(GrB_Vector_eWiseMult_BinaryOp(t, nullptr, nullptr, GrB_DIV_FP64, r, dout, nullptr));
      // w = AT * t (pull), then r_new = d * w + (d * dsum + 1 - d) / n.
      OK(GrB_mxv(w, nullptr, nullptr, GxB_PLUS_SECOND_FP64, AT, t, nullptr));
      const double c = (damping * dsum + 1.0 - damping) / static_cast<double>(n);
      OK(GrB_Vector_assign_FP64(r_new, nullptr, nullptr, c, GrB_ALL, n, nullptr));
      OK(GrB_Vector_apply_BinaryOp2nd_FP64(r_new, nullptr, GrB_PLUS_FP64, GrB_TIMES_FP64, w,
                                           damping, nullptr));
      // L1 change.
      OK(GrB_Vector_eWiseAdd_BinaryOp(delta, nullptr, nullptr, GrB_MINUS_FP64, r_new, r, nullptr));
      OK(GrB_Vector_apply(delta, nullptr, nullptr, GrB_ABS_FP64, delta, nullptr));
      OK(GrB_Vector_reduce_FP64(&residual, nullptr, GrB_PLUS_MONOID_FP64, delta, nullptr));
      std::swap(r, r_new);
      iterations = it;
      if (residual < tol) break;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, s);
  }
  int threads = 0;
  OK(GxB_Global_Option_get(GxB_GLOBAL_NTHREADS, &threads));
  std::printf("fit_s=%.4f\niterations=%d\nresidual=%.3e\nms_per_iter=%.3f\nthreads=%d\n", best,
              iterations, residual, 1e3 * best / iterations, threads);
  if (!scores_path.empty()) {
    std::vector<double> x(n, 0.0);
    for (GrB_Index i = 0; i < n; ++i) {
      double v = 0.0;
      if (GrB_Vector_extractElement_FP64(&v, r, i) == GrB_SUCCESS) x[i] = v;
    }
    std::ofstream out(scores_path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(x.data()), static_cast<std::streamsize>(n * 8));
  }
  GrB_finalize();
  return 0;
}
#endif
