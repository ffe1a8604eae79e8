/* quarry.h: the one header a Quarry plugin author includes. */
#pragma once

#define __QUARRY_H_INSIDE__

#include <quarry/version.h>
#include <quarry/document.h>
#include <quarry/plugin.h>

#undef __QUARRY_H_INSIDE__
