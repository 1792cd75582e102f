/** \file
 *  The umbrella header: includes every osprey module.
 *
 *  \code
 *  #include <osprey/osprey.hpp>
 *  \endcode
 */
#pragma once

#include "config.hpp"
#include "version.hpp"

// core
#include "core/concepts.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/random.hpp"
#include "core/types.hpp"
#include "core/validation.hpp"

// preprocessing and io
#include "io/csv.hpp"
#include "io/edge_list.hpp"
#include "preprocessing/scalers.hpp"

// modules (one line each, added as they land)
#include "neighbors/kneighbors.hpp"
#include "imbalance/adasyn.hpp"
#include "metrics/classification.hpp"
#include "metrics/drift.hpp"
#include "metrics/ranking.hpp"
#include "metrics/report.hpp"
#include "model_selection/cross_validate.hpp"
#include "model_selection/stratified_kfold.hpp"
