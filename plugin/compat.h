/* SPDX-License-Identifier: MIT */
/*
 * compat.h - every GCC header the plugin needs, in the order GCC requires,
 * and any difference between GCC versions.  The plugin is built for and
 * checked against GCC 12 (plugin_default_version_check refuses any other
 * compiler at load time); differences for other versions belong here and
 * nowhere else.
 */
#ifndef MPROF_PLUGIN_COMPAT_H
#define MPROF_PLUGIN_COMPAT_H

#include "gcc-plugin.h"
#include "plugin-version.h"
#include "config.h"
#include "system.h"
#include "coretypes.h"
#include "backend.h"
#include "tree.h"
#include "gimple.h"
#include "tree-pass.h"
#include "context.h"
#include "function.h"
#include "basic-block.h"
#include "cfganal.h"
#include "cgraph.h"
#include "stringpool.h"
#include "attribs.h"
#include "diagnostic.h"
#include "langhooks.h"
#include "varasm.h"
#include "stor-layout.h"
#include "fold-const.h"
#include "tree-iterator.h"
#include "gimple-iterator.h"
#include "gimplify.h"
#include "gimplify-me.h"
#include "toplev.h"
#include "input.h"
#include "intl.h"
#include "target.h"
#include "ggc.h"
#include "internal-fn.h"
#include "ssa.h"
#include "tree-into-ssa.h"
#include "cfgloop.h"
#include "tree-dfa.h"
#include "tree-cfg.h"

#if GCCPLUGIN_VERSION_MAJOR < 12
#  error "mprof's plugin is written for GCC 12"
#endif

#endif /* MPROF_PLUGIN_COMPAT_H */
