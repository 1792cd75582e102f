/** \file
 *  The umbrella header: includes every osprey module, and osprey::dist's communicator concept
 *  and in-process ThreadCommunicator. It does not include <osprey/dist/mpi.hpp>, the one header
 *  that needs MPI.
 *
 *  \code
 *  #include <osprey/osprey.hpp>
 *  \endcode
 */
#pragma once

#include "config.hpp"
#include "version.hpp"

// core
#include "core/cancel.hpp"
#include "core/concepts.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/random.hpp"
#include "core/sample_weight.hpp"
#include "core/threads.hpp"
#include "core/types.hpp"
#include "core/validation.hpp"

// preprocessing and io
#include "io/csv.hpp"
#include "io/edge_list.hpp"
#include "preprocessing/scalers.hpp"

// estimators and their kernels
#include "anomaly/isolation_forest.hpp"
#include "anomaly/local_outlier_factor.hpp"
#include "graph/pagerank.hpp"
#include "imbalance/adasyn.hpp"
#include "imbalance/sampling_strategy.hpp"
#include "imbalance/smote.hpp"
#include "imbalance/smote_tomek.hpp"
#include "imbalance/under_sampling.hpp"
#include "neighbors/hnsw.hpp"
#include "neighbors/kneighbors.hpp"
#include "neighbors/nearest_neighbors.hpp"
#include "streams/control_charts.hpp"
#include "streams/half_space_trees.hpp"
#include "streams/poisson_cusum.hpp"
#include "streams/psi_monitor.hpp"
#include "streams/streaming_isolation_forest.hpp"

// evaluation and decisions
#include "calibration/calibrated_classifier.hpp"
#include "calibration/curve.hpp"
#include "calibration/isotonic.hpp"
#include "calibration/prior_shift.hpp"
#include "calibration/sigmoid.hpp"
#include "io/serialize.hpp"
#include "metrics/classification.hpp"
#include "metrics/drift.hpp"
#include "metrics/ranking.hpp"
#include "metrics/ranking_at_k.hpp"
#include "metrics/report.hpp"
#include "metrics/thresholds.hpp"
#include "model_selection/cross_validate.hpp"
#include "model_selection/group_kfold.hpp"
#include "model_selection/pipeline.hpp"
#include "model_selection/stratified_kfold.hpp"
#include "model_selection/time_series_split.hpp"
#include "model_selection/tuned_threshold.hpp"

// scale-out (the MPI communicator is <osprey/dist/mpi.hpp>, included on its own)
#include "dist/communicator.hpp"
#include "dist/isolation_forest.hpp"
#include "dist/metrics.hpp"
#include "dist/nearest_neighbors.hpp"
#include "dist/pagerank.hpp"
#include "dist/partition.hpp"
#include "dist/quantile.hpp"
#include "dist/smote.hpp"
#include "dist/stratified_kfold.hpp"
#include "dist/thread_communicator.hpp"
