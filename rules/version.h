#ifndef PUMPTRACK_RULES_VERSION_H_
#define PUMPTRACK_RULES_VERSION_H_

#include "absl/strings/string_view.h"

namespace pumptrack::rules {

// True for dotted versions the policy can order: one or more dot-separated components, each 1–9 digits optionally
// followed by letters, digits or '-' (e.g. "12.1.3", "4.2.0-rc1").
bool IsDottedVersion(absl::string_view version);

// Orders dotted versions component by component: numerically by each component's leading digits, then by the rest
// of the component as text; a missing component counts as 0 ("4.2" == "4.2.0"). Returns <0, 0 or >0.
int CompareVersions(absl::string_view a, absl::string_view b);

}  // namespace pumptrack::rules

#endif  // PUMPTRACK_RULES_VERSION_H_
