// NearestNeighbors::add and remove: an index that follows a changing set of rows without a full
// rebuild, whose answers equal an index fitted on the live rows (docs/neighbors.md, "Adding and
// removing rows"). Prints each step's neighbours of one query.
#include <Eigen/Core>
#include <iostream>
#include <osprey/neighbors/nearest_neighbors.hpp>
#include <vector>

int main() {
  osprey::RowMatrix<float> X(4, 2);
  X << 0, 0, 1, 0, 0, 1, 5, 5;
  osprey::RowMatrix<float> more(2, 2);
  more << 0.5f, 0.5f, 4, 4;
  osprey::RowMatrix<float> q(1, 2);
  q << 0.4f, 0.4f;
  const auto show = [&](const char* step, const osprey::NearestNeighbors<float>& index) {
    const auto r = index.kneighbors(q, 3);
    std::cout << step << " (" << index.n_samples_fit() << " live rows):";
    for (int j = 0; j < 3; ++j)
      std::cout << " id " << r.indices(0, j) << " at " << r.distances(0, j);
    std::cout << "\n";
  };

  osprey::NearestNeighbors<float> nn({.algorithm = osprey::Algorithm::kd_tree});
  nn.fit(X);  // ids 0..3
  show("fit", nn);
  const int first = nn.add(more);  // ids 4 and 5: ids continue, never reused
  std::cout << "added ids from " << first << "\n";
  show("add", nn);
  nn.remove(std::vector<int>{0, 4});  // by id; unknown or removed ids throw
  show("remove", nn);
  std::cout << "next id " << nn.next_id() << ", live ids " << nn.live_ids().transpose() << "\n";
  return 0;
}
