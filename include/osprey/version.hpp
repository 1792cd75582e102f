/** \file
 *  The single source of osprey's version; CMake parses these three lines.
 */
#pragma once

#define OSPREY_VERSION_MAJOR 0  ///< major version: breaking changes
#define OSPREY_VERSION_MINOR 6  ///< minor version: additions (breaking while major is 0)
#define OSPREY_VERSION_PATCH 0  ///< patch version: fixes

/** Version as one integer: major * 10000 + minor * 100 + patch. */
#define OSPREY_VERSION \
  (OSPREY_VERSION_MAJOR * 10000 + OSPREY_VERSION_MINOR * 100 + OSPREY_VERSION_PATCH)
