/* feedcap_config.h must compile on its own (no include before it). */
#include "feedcap_config.h"
