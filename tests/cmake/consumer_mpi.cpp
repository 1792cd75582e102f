// A downstream MPI program against the installed osprey: <osprey/dist/mpi.hpp> is installed,
// compiles on its own next to the umbrella header, and its collectives agree with the
// in-process ThreadCommunicator's. Run as a singleton (one rank, no mpirun).
#include <osprey/dist/mpi.hpp>
#include <osprey/osprey.hpp>

#include <iostream>
#include <span>
#include <vector>

int main(int argc, char** argv) {
  namespace dist = osprey::dist;
  dist::MpiEnvironment env(argc, argv);
  dist::MpiCommunicator comm;
  std::vector<double> v{1.5, -2.0};
  comm.all_reduce(std::span<double>(v), dist::ReduceOp::sum);
  double threaded = 0.0;
  dist::run_ranks(3, [&](dist::ThreadCommunicator& c) {
    const double mine = 0.5 * (c.rank() + 1);
    const double sum = dist::all_reduce_value(c, mine, dist::ReduceOp::sum);
    if (c.rank() == 0) threaded = sum;
  });
  std::cout << "osprey dist consumer: " << comm.size() << " MPI rank, sum " << v[0] << " " << v[1]
            << ", 3 thread ranks sum " << threaded << "\n";
  return (comm.size() == 1 && v[0] == 1.5 && v[1] == -2.0 && threaded == 3.0) ? 0 : 1;
}
