#include "advisories/version_range.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "advisories/version_order.h"
#include "common/status_macros.h"

namespace pumptrack::advisories {
namespace {

using Constraint = v1::VersionConstraint;

bool IsLower(v1::VersionComparator c) {
  return c == v1::VERSION_COMPARATOR_GREATER || c == v1::VERSION_COMPARATOR_GREATER_OR_EQUAL;
}
bool IsUpper(v1::VersionComparator c) {
  return c == v1::VERSION_COMPARATOR_LESS || c == v1::VERSION_COMPARATOR_LESS_OR_EQUAL;
}

bool Satisfies(absl::string_view version, const Constraint& bound) {
  const int c = CompareVersionsNaturally(version, bound.version());
  switch (bound.comparator()) {
    case v1::VERSION_COMPARATOR_EQUAL:
      return c == 0;
    case v1::VERSION_COMPARATOR_NOT_EQUAL:
      return c != 0;
    case v1::VERSION_COMPARATOR_LESS:
      return c < 0;
    case v1::VERSION_COMPARATOR_LESS_OR_EQUAL:
      return c <= 0;
    case v1::VERSION_COMPARATOR_GREATER:
      return c > 0;
    case v1::VERSION_COMPARATOR_GREATER_OR_EQUAL:
      return c >= 0;
    default:
      return false;
  }
}

std::string Describe(const Constraint& bound) {
  return absl::StrCat(ComparatorSymbol(bound.comparator()), bound.version());
}

// Splits "<= 12.1.3" into its comparator and version; no comparator means EQUAL.
absl::StatusOr<Constraint> ParseConstraint(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  static constexpr std::pair<absl::string_view, v1::VersionComparator> kComparators[] = {
      {">=", v1::VERSION_COMPARATOR_GREATER_OR_EQUAL}, {"<=", v1::VERSION_COMPARATOR_LESS_OR_EQUAL},
      {"!=", v1::VERSION_COMPARATOR_NOT_EQUAL},        {"<", v1::VERSION_COMPARATOR_LESS},
      {">", v1::VERSION_COMPARATOR_GREATER},           {"=", v1::VERSION_COMPARATOR_EQUAL},
  };
  Constraint constraint;
  constraint.set_comparator(v1::VERSION_COMPARATOR_EQUAL);
  for (const auto& [symbol, comparator] : kComparators) {
    if (absl::StartsWith(text, symbol)) {
      constraint.set_comparator(comparator);
      text = absl::StripLeadingAsciiWhitespace(text.substr(symbol.size()));
      break;
    }
  }
  if (text.empty()) return absl::InvalidArgumentError("a constraint has no version");
  RETURN_IF_ERROR(CheckVersionSyntax(text));
  constraint.set_version(std::string(text));
  return constraint;
}

// Checks one group of constraints (a whole range, or one product line of an operator list).
absl::Status ValidateGroup(const std::vector<const Constraint*>& group) {
  std::vector<const Constraint*> ordered;
  bool has_not_equal = false;
  bool has_equal = false;
  for (const Constraint* c : group) {
    if (c->comparator() == v1::VERSION_COMPARATOR_NOT_EQUAL) has_not_equal = true;
    if (c->comparator() == v1::VERSION_COMPARATOR_EQUAL) has_equal = true;
    if (IsLower(c->comparator()) || IsUpper(c->comparator())) ordered.push_back(c);
  }
  if (has_not_equal && !has_equal && ordered.empty()) {
    return absl::InvalidArgumentError("it has only != constraints, which name no affected version");
  }
  // Every version appears once.
  std::vector<const Constraint*> all = group;
  std::sort(all.begin(), all.end(), [](const Constraint* a, const Constraint* b) {
    return CompareVersionsNaturally(a->version(), b->version()) < 0;
  });
  for (std::size_t i = 1; i < all.size(); ++i) {
    if (CompareVersionsNaturally(all[i - 1]->version(), all[i]->version()) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("constraints ", Describe(*all[i - 1]), " and ", Describe(*all[i]), " name the same version"));
    }
  }
  std::sort(ordered.begin(), ordered.end(), [](const Constraint* a, const Constraint* b) {
    return CompareVersionsNaturally(a->version(), b->version()) < 0;
  });
  for (std::size_t i = 1; i < ordered.size(); ++i) {
    const bool both_lower = IsLower(ordered[i - 1]->comparator()) && IsLower(ordered[i]->comparator());
    const bool both_upper = IsUpper(ordered[i - 1]->comparator()) && IsUpper(ordered[i]->comparator());
    if (both_lower || both_upper) {
      return absl::InvalidArgumentError(absl::StrCat("constraints ", Describe(*ordered[i - 1]), " and ",
                                                     Describe(*ordered[i]), " are both ",
                                                     both_lower ? "lower" : "upper", " bounds, which is ambiguous"));
    }
  }
  return absl::OkStatus();
}

// The constraints of a range, grouped by product line for an operator list, as one group otherwise.
std::map<std::string, std::vector<const Constraint*>> Groups(const v1::ParsedVersionRange& range) {
  std::map<std::string, std::vector<const Constraint*>> groups;
  const bool by_line = range.syntax() == v1::VERSION_RANGE_SYNTAX_OPERATOR_LIST;
  for (const Constraint& c : range.constraints()) groups[by_line ? ProductLine(c.version()) : ""].push_back(&c);
  return groups;
}

// A vers scheme: 1–32 characters from [a-z0-9.+-].
bool IsVersScheme(absl::string_view scheme) {
  if (scheme.empty() || scheme.size() > 32) return false;
  return std::all_of(scheme.begin(), scheme.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) || absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
           c == '.' || c == '+' || c == '-';
  });
}

absl::Status Validate(const v1::ParsedVersionRange& range) {
  if (range.syntax() == v1::VERSION_RANGE_SYNTAX_UNSPECIFIED || !v1::VersionRangeSyntax_IsValid(range.syntax())) {
    return absl::InvalidArgumentError("no range syntax");
  }
  if (range.syntax() == v1::VERSION_RANGE_SYNTAX_VERS) {
    if (!IsVersScheme(range.vers_scheme())) return absl::InvalidArgumentError("a vers scheme is 1-32 of [a-z0-9.+-]");
    if (!range.all_versions() && range.vers_scheme() != "generic" && range.vers_scheme() != "intdot") {
      return absl::InvalidArgumentError(
          absl::StrCat("vers scheme \"", range.vers_scheme(), "\" is not supported (only generic, intdot and all)"));
    }
  } else if (!range.vers_scheme().empty()) {
    return absl::InvalidArgumentError("only a vers range has a vers scheme");
  }
  if (range.all_versions()) {
    if (range.constraints_size() != 0) return absl::InvalidArgumentError("\"*\" cannot be combined with constraints");
    return absl::OkStatus();
  }
  if (range.constraints_size() == 0) return absl::InvalidArgumentError("no constraint");
  if (range.constraints_size() > kMaxRangeConstraints) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxRangeConstraints, " constraints"));
  }
  for (const Constraint& c : range.constraints()) {
    if (c.comparator() == v1::VERSION_COMPARATOR_UNSPECIFIED || !v1::VersionComparator_IsValid(c.comparator())) {
      return absl::InvalidArgumentError(absl::StrCat("constraint on \"", c.version(), "\" has no comparator"));
    }
    RETURN_IF_ERROR(CheckVersionSyntax(c.version()));
    if (range.syntax() == v1::VERSION_RANGE_SYNTAX_EXACT && c.comparator() != v1::VERSION_COMPARATOR_EQUAL) {
      return absl::InvalidArgumentError("an exact version list holds only = constraints");
    }
  }
  for (const auto& [line, group] : Groups(range)) {
    RETURN_IF_ERROR(ValidateGroup(group));
  }
  return absl::OkStatus();
}

absl::StatusOr<VersionRange> Refuse(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("range \"", text, "\": ", why));
}

// The vers specification's containment test over one group of constraints.
bool Contains(absl::string_view version, const std::vector<const Constraint*>& group) {
  std::vector<const Constraint*> ordered;
  for (const Constraint* c : group) {
    if (c->comparator() == v1::VERSION_COMPARATOR_EQUAL && Satisfies(version, *c)) return true;
  }
  for (const Constraint* c : group) {
    if (c->comparator() == v1::VERSION_COMPARATOR_NOT_EQUAL && !Satisfies(version, *c)) return false;
    if (IsLower(c->comparator()) || IsUpper(c->comparator())) ordered.push_back(c);
  }
  std::sort(ordered.begin(), ordered.end(), [](const Constraint* a, const Constraint* b) {
    return CompareVersionsNaturally(a->version(), b->version()) < 0;
  });
  if (ordered.empty()) return false;
  if (ordered.size() == 1) return Satisfies(version, *ordered[0]);
  for (std::size_t i = 0; i + 1 < ordered.size(); ++i) {
    const Constraint& current = *ordered[i];
    const Constraint& next = *ordered[i + 1];
    if (i == 0 && IsUpper(current.comparator()) && Satisfies(version, current)) return true;
    if (i + 2 == ordered.size() && IsLower(next.comparator()) && Satisfies(version, next)) return true;
    if (IsLower(current.comparator()) && IsUpper(next.comparator()) && Satisfies(version, current) &&
        Satisfies(version, next)) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::string_view ComparatorSymbol(v1::VersionComparator comparator) {
  switch (comparator) {
    case v1::VERSION_COMPARATOR_EQUAL:
      return "=";
    case v1::VERSION_COMPARATOR_NOT_EQUAL:
      return "!=";
    case v1::VERSION_COMPARATOR_LESS:
      return "<";
    case v1::VERSION_COMPARATOR_LESS_OR_EQUAL:
      return "<=";
    case v1::VERSION_COMPARATOR_GREATER:
      return ">";
    case v1::VERSION_COMPARATOR_GREATER_OR_EQUAL:
      return ">=";
    default:
      return "?";
  }
}

absl::StatusOr<VersionRange> VersionRange::Parse(absl::string_view raw) {
  const absl::string_view text = absl::StripAsciiWhitespace(raw);
  if (text.empty()) return absl::InvalidArgumentError("empty version range");
  if (text.size() > kMaxRangeTextLength) {
    return absl::InvalidArgumentError(absl::StrCat("version range \"", Utf8Prefix(text, 32), "...\" is longer than ",
                                                   kMaxRangeTextLength, " characters"));
  }
  v1::ParsedVersionRange range;
  std::vector<absl::string_view> parts;
  if (absl::StartsWith(text, "vers:")) {
    const absl::string_view rest = text.substr(5);
    const std::size_t slash = rest.find('/');
    if (slash == absl::string_view::npos) return Refuse(text, "a vers range needs \"vers:<scheme>/<constraints>\"");
    const absl::string_view scheme = rest.substr(0, slash);
    const absl::string_view constraints = absl::StripAsciiWhitespace(rest.substr(slash + 1));
    if (!IsVersScheme(scheme)) return Refuse(text, "a vers scheme is 1-32 of [a-z0-9.+-]");
    range.set_syntax(v1::VERSION_RANGE_SYNTAX_VERS);
    range.set_vers_scheme(std::string(scheme));
    if (constraints == "*") {
      range.set_all_versions(true);
      return VersionRange(std::move(range));
    }
    if (scheme == "all") return Refuse(text, "the vers scheme \"all\" takes only \"*\"");
    if (scheme != "generic" && scheme != "intdot") {
      return Refuse(text, absl::StrCat("vers scheme \"", scheme, "\" is not supported (only generic, intdot and all)"));
    }
    parts = absl::StrSplit(constraints, '|');
  } else if (text.find_first_of("<>=!") != absl::string_view::npos) {
    range.set_syntax(v1::VERSION_RANGE_SYNTAX_OPERATOR_LIST);
    parts = absl::StrSplit(text, '|');
  } else {
    range.set_syntax(v1::VERSION_RANGE_SYNTAX_EXACT);
    parts = absl::StrSplit(text, absl::ByAnyChar(",|"));
  }
  if (static_cast<int>(parts.size()) > kMaxRangeConstraints) {
    return Refuse(text, absl::StrCat("more than ", kMaxRangeConstraints, " constraints"));
  }
  for (absl::string_view part : parts) {
    absl::StatusOr<Constraint> constraint = ParseConstraint(part);
    if (!constraint.ok()) return Refuse(text, constraint.status().message());
    *range.add_constraints() = *std::move(constraint);
  }
  if (absl::Status status = Validate(range); !status.ok()) return Refuse(text, status.message());
  return VersionRange(std::move(range));
}

absl::StatusOr<VersionRange> VersionRange::ParseExact(absl::string_view version) {
  RETURN_IF_ERROR(CheckVersionSyntax(version));
  v1::ParsedVersionRange range;
  range.set_syntax(v1::VERSION_RANGE_SYNTAX_EXACT);
  Constraint* c = range.add_constraints();
  c->set_comparator(v1::VERSION_COMPARATOR_EQUAL);
  c->set_version(std::string(version));
  return VersionRange(std::move(range));
}

absl::StatusOr<VersionRange> VersionRange::FromBounds(absl::string_view introduced, absl::string_view fixed) {
  v1::ParsedVersionRange range;
  range.set_syntax(v1::VERSION_RANGE_SYNTAX_VERS);
  range.set_vers_scheme("generic");
  if (introduced.empty() && fixed.empty()) {
    range.set_all_versions(true);
    return VersionRange(std::move(range));
  }
  if (!introduced.empty()) {
    Constraint* c = range.add_constraints();
    c->set_comparator(v1::VERSION_COMPARATOR_GREATER_OR_EQUAL);
    c->set_version(std::string(introduced));
  }
  if (!fixed.empty()) {
    Constraint* c = range.add_constraints();
    c->set_comparator(v1::VERSION_COMPARATOR_LESS);
    c->set_version(std::string(fixed));
  }
  if (!introduced.empty() && !fixed.empty() && CompareVersionsNaturally(fixed, introduced) <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("fixed \"", fixed, "\" is not after introduced \"", introduced, "\""));
  }
  RETURN_IF_ERROR(Validate(range));
  return VersionRange(std::move(range));
}

absl::StatusOr<VersionRange> VersionRange::FromProto(const v1::ParsedVersionRange& range) {
  RETURN_IF_ERROR(Validate(range));
  return VersionRange(range);
}

RangeCheck VersionRange::Check(absl::string_view reported_version) const {
  if (absl::Status syntax = CheckVersionSyntax(reported_version); !syntax.ok()) {
    return {RangeAnswer::kNeedsReview, absl::StrCat("reported version: ", syntax.message())};
  }
  if (proto_.all_versions()) return {RangeAnswer::kInside, ""};
  const std::map<std::string, std::vector<const Constraint*>> groups = Groups(proto_);
  const std::string line =
      proto_.syntax() == v1::VERSION_RANGE_SYNTAX_OPERATOR_LIST ? ProductLine(reported_version) : "";
  const auto group = groups.find(line);
  if (group == groups.end()) {
    std::vector<std::string> lines;
    for (const auto& [name, constraints] : groups) lines.push_back(name.empty() ? "(digits)" : name);
    return {RangeAnswer::kNeedsReview,
            absl::StrCat("reported version \"", reported_version, "\" is of product line \"",
                         line.empty() ? "(digits)" : line, "\", which the range does not name (it names ",
                         absl::StrJoin(lines, ", "), ")")};
  }
  return {Contains(reported_version, group->second) ? RangeAnswer::kInside : RangeAnswer::kOutside, ""};
}

}  // namespace pumptrack::advisories
