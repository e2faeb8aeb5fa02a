#include "advisories/csaf_parser.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "advisories/sha512_sidecar.h"
#include "advisories/version_order.h"
#include "advisories/version_range.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace pumptrack::advisories {
namespace {

using Json = nlohmann::json;

absl::Status Invalid(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

std::string Child(absl::string_view path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}
std::string Index(absl::string_view path, std::size_t i) { return absl::StrCat(path, "[", i, "]"); }

// The deepest nesting of arrays and objects in `text`, skipping strings; stops early past `limit`.
int NestingDepth(absl::string_view text, int limit) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

// Member access with the path in every error.
const Json* Find(const Json& object, absl::string_view key) {
  const auto it = object.find(std::string(key));
  return it == object.end() ? nullptr : &*it;
}

absl::Status ExpectObject(const Json& value, absl::string_view path) {
  return value.is_object() ? absl::OkStatus() : Invalid(path, "must be an object");
}

absl::StatusOr<const Json*> RequiredObject(const Json& object, absl::string_view path, absl::string_view key) {
  const Json* value = Find(object, key);
  if (value == nullptr) return Invalid(Child(path, key), "missing");
  RETURN_IF_ERROR(ExpectObject(*value, Child(path, key)));
  return value;
}

// nullptr when absent.
absl::StatusOr<const Json*> OptionalObject(const Json& object, absl::string_view path, absl::string_view key) {
  const Json* value = Find(object, key);
  if (value == nullptr) return value;
  RETURN_IF_ERROR(ExpectObject(*value, Child(path, key)));
  return value;
}

// An empty array when absent.
absl::StatusOr<const Json*> OptionalArray(const Json& object, absl::string_view path, absl::string_view key) {
  static const Json* const kEmpty = new Json(Json::array());
  const Json* value = Find(object, key);
  if (value == nullptr) return kEmpty;
  if (!value->is_array()) return Invalid(Child(path, key), "must be an array");
  return value;
}

absl::StatusOr<std::string> OptionalString(const Json& object, absl::string_view path, absl::string_view key) {
  const Json* value = Find(object, key);
  if (value == nullptr) return std::string();
  if (!value->is_string()) return Invalid(Child(path, key), "must be a string");
  return value->get<std::string>();
}

absl::StatusOr<std::string> RequiredString(const Json& object, absl::string_view path, absl::string_view key) {
  const Json* value = Find(object, key);
  if (value == nullptr) return Invalid(Child(path, key), "missing");
  if (!value->is_string()) return Invalid(Child(path, key), "must be a string");
  std::string text = value->get<std::string>();
  if (text.empty()) return Invalid(Child(path, key), "must not be empty");
  return text;
}

absl::Status ReadTimestamp(absl::string_view text, absl::string_view path, google::protobuf::Timestamp& out) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return Invalid(path, absl::StrCat("\"", Utf8Prefix(text, 64), "\" is not an RFC 3339 date"));
  }
  const absl::Duration since_epoch = time - absl::UnixEpoch();
  const int64_t seconds = absl::ToInt64Seconds(since_epoch);
  if (seconds < -62135596800 || seconds > 253402300799) return Invalid(path, "date out of range");
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(since_epoch - absl::Seconds(seconds))));
  return absl::OkStatus();
}

absl::Status ReadStringList(const Json& object, absl::string_view path, absl::string_view key,
                            google::protobuf::RepeatedPtrField<std::string>& out) {
  ASSIGN_OR_RETURN(const Json* array, OptionalArray(object, path, key));
  const std::string list_path = Child(path, key);
  for (std::size_t i = 0; i < array->size(); ++i) {
    const Json& item = (*array)[i];
    if (!item.is_string()) return Invalid(Index(list_path, i), "must be a string");
    *out.Add() = item.get<std::string>();
  }
  return absl::OkStatus();
}

// Reads product_tree into advisory.products.
class ProductTreeReader {
 public:
  explicit ProductTreeReader(v1::Advisory& advisory) : advisory_(advisory) {}

  absl::Status Read(const Json& tree, absl::string_view path) {
    ASSIGN_OR_RETURN(const Json* branches, OptionalArray(tree, path, "branches"));
    RETURN_IF_ERROR(ReadBranches(*branches, Child(path, "branches"), Context{}));

    ASSIGN_OR_RETURN(const Json* names, OptionalArray(tree, path, "full_product_names"));
    for (std::size_t i = 0; i < names->size(); ++i) {
      const std::string item_path = Index(Child(path, "full_product_names"), i);
      RETURN_IF_ERROR(ExpectObject((*names)[i], item_path));
      ASSIGN_OR_RETURN(v1::AdvisoryProduct * product, AddProduct((*names)[i], item_path));
      product->set_needs_review(true);
      product->set_review_reason("defined in full_product_names, which names no vendor, product or version branch");
    }

    ASSIGN_OR_RETURN(const Json* relationships, OptionalArray(tree, path, "relationships"));
    for (std::size_t i = 0; i < relationships->size(); ++i) {
      RETURN_IF_ERROR(ReadRelationship((*relationships)[i], Index(Child(path, "relationships"), i)));
    }
    return absl::OkStatus();
  }

  const absl::flat_hash_set<std::string>& product_ids() const { return product_ids_; }

 private:
  struct Context {
    std::string vendor;
    std::string product_name;
    std::string version_text;
    bool exact = false;
  };

  absl::Status ReadBranches(const Json& branches, const std::string& path, const Context& context) {
    for (std::size_t i = 0; i < branches.size(); ++i) {
      const std::string branch_path = Index(path, i);
      const Json& branch = branches[i];
      RETURN_IF_ERROR(ExpectObject(branch, branch_path));
      ASSIGN_OR_RETURN(std::string category, RequiredString(branch, branch_path, "category"));
      ASSIGN_OR_RETURN(std::string name, RequiredString(branch, branch_path, "name"));
      Context inner = context;
      if (category == "vendor") {
        inner.vendor = name;
      } else if (category == "product_name") {
        inner.product_name = name;
      } else if (category == "product_version") {
        inner.version_text = name;
        inner.exact = true;
      } else if (category == "product_version_range") {
        inner.version_text = name;
        inner.exact = false;
      }
      // Other categories (product_family, architecture, ...) add nothing pumptrack matches on.
      ASSIGN_OR_RETURN(const Json* product, OptionalObject(branch, branch_path, "product"));
      if (product != nullptr) {
        ASSIGN_OR_RETURN(v1::AdvisoryProduct * added, AddProduct(*product, Child(branch_path, "product")));
        SetVersion(inner, *added);
      }
      ASSIGN_OR_RETURN(const Json* children, OptionalArray(branch, branch_path, "branches"));
      RETURN_IF_ERROR(ReadBranches(*children, Child(branch_path, "branches"), inner));
    }
    return absl::OkStatus();
  }

  static void SetVersion(const Context& context, v1::AdvisoryProduct& product) {
    product.set_vendor(context.vendor);
    product.set_product_name(context.product_name);
    product.set_version_text(context.version_text);
    if (context.version_text.empty()) {
      product.set_needs_review(true);
      product.set_review_reason("the product_tree names no product_version or product_version_range for it");
      return;
    }
    absl::StatusOr<VersionRange> range =
        context.exact ? VersionRange::ParseExact(context.version_text) : VersionRange::Parse(context.version_text);
    if (range.ok()) {
      *product.mutable_range() = range->proto();
    } else {
      product.set_needs_review(true);
      product.set_review_reason(std::string(range.status().message()));
    }
  }

  // A full_product_name object: {name, product_id}.
  absl::StatusOr<v1::AdvisoryProduct*> AddProduct(const Json& object, const std::string& path) {
    ASSIGN_OR_RETURN(std::string id, RequiredString(object, path, "product_id"));
    ASSIGN_OR_RETURN(std::string name, RequiredString(object, path, "name"));
    if (!product_ids_.insert(id).second) {
      return Invalid(Child(path, "product_id"), absl::StrCat("\"", id, "\" is defined twice"));
    }
    if (advisory_.products_size() >= kMaxCsafProducts) {
      return Invalid(path, absl::StrCat("more than ", kMaxCsafProducts, " products"));
    }
    v1::AdvisoryProduct* product = advisory_.add_products();
    product->set_product_id(id);
    product->set_full_name(name);
    by_id_[id] = advisory_.products_size() - 1;
    return product;
  }

  absl::Status ReadRelationship(const Json& relationship, const std::string& path) {
    RETURN_IF_ERROR(ExpectObject(relationship, path));
    ASSIGN_OR_RETURN(std::string category, RequiredString(relationship, path, "category"));
    ASSIGN_OR_RETURN(std::string reference, RequiredString(relationship, path, "product_reference"));
    ASSIGN_OR_RETURN(std::string relates_to, RequiredString(relationship, path, "relates_to_product_reference"));
    for (const auto& [key, id] : {std::pair<const char*, const std::string*>{"product_reference", &reference},
                                  {"relates_to_product_reference", &relates_to}}) {
      if (!by_id_.contains(*id)) {
        return Invalid(Child(path, key), absl::StrCat("names \"", *id, "\", which the product_tree does not define"));
      }
    }
    ASSIGN_OR_RETURN(const Json* full_name, RequiredObject(relationship, path, "full_product_name"));
    // Copied before AddProduct may reallocate the products.
    const v1::AdvisoryProduct component = advisory_.products(by_id_.at(reference));
    ASSIGN_OR_RETURN(v1::AdvisoryProduct * product, AddProduct(*full_name, Child(path, "full_product_name")));
    v1::AdvisoryProduct& added = *product;
    added.set_vendor(component.vendor());
    added.set_product_name(component.product_name());
    added.set_version_text(component.version_text());
    if (component.has_range()) *added.mutable_range() = component.range();
    added.set_needs_review(component.needs_review());
    added.set_review_reason(component.review_reason());
    added.set_relationship_category(category);
    added.set_product_reference(reference);
    added.set_relates_to_product_reference(relates_to);
    return absl::OkStatus();
  }

  v1::Advisory& advisory_;
  absl::flat_hash_set<std::string> product_ids_;
  absl::flat_hash_map<std::string, int> by_id_;
};

absl::Status CheckProductIds(const google::protobuf::RepeatedPtrField<std::string>& ids, absl::string_view path,
                             const absl::flat_hash_set<std::string>& defined) {
  for (int i = 0; i < ids.size(); ++i) {
    if (!defined.contains(ids[i])) {
      return Invalid(Index(path, i), absl::StrCat("names \"", ids[i], "\", which the product_tree does not define"));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadVulnerability(const Json& item, const std::string& path,
                               const absl::flat_hash_set<std::string>& defined, v1::AdvisoryVulnerability& out) {
  RETURN_IF_ERROR(ExpectObject(item, path));
  ASSIGN_OR_RETURN(std::string cve, OptionalString(item, path, "cve"));
  out.set_cve(cve);
  ASSIGN_OR_RETURN(std::string title, OptionalString(item, path, "title"));
  out.set_title(title);
  ASSIGN_OR_RETURN(const Json* cwe, OptionalObject(item, path, "cwe"));
  if (cwe != nullptr) {
    ASSIGN_OR_RETURN(std::string id, OptionalString(*cwe, Child(path, "cwe"), "id"));
    ASSIGN_OR_RETURN(std::string name, OptionalString(*cwe, Child(path, "cwe"), "name"));
    out.set_cwe_id(id);
    out.set_cwe_name(name);
  }

  ASSIGN_OR_RETURN(const Json* status, OptionalObject(item, path, "product_status"));
  if (status != nullptr) {
    const std::string status_path = Child(path, "product_status");
    v1::ProductStatus& product_status = *out.mutable_product_status();
    const std::pair<const char*, google::protobuf::RepeatedPtrField<std::string>*> lists[] = {
        {"first_affected", product_status.mutable_known_affected()},
        {"known_affected", product_status.mutable_known_affected()},
        {"last_affected", product_status.mutable_known_affected()},
        {"first_fixed", product_status.mutable_fixed()},
        {"fixed", product_status.mutable_fixed()},
        {"known_not_affected", product_status.mutable_known_not_affected()},
        {"under_investigation", product_status.mutable_under_investigation()},
    };
    for (const auto& [key, list] : lists) {
      google::protobuf::RepeatedPtrField<std::string> ids;
      RETURN_IF_ERROR(ReadStringList(*status, status_path, key, ids));
      RETURN_IF_ERROR(CheckProductIds(ids, Child(status_path, key), defined));
      for (std::string& id : ids) *list->Add() = std::move(id);
    }
  }

  ASSIGN_OR_RETURN(const Json* remediations, OptionalArray(item, path, "remediations"));
  for (std::size_t i = 0; i < remediations->size(); ++i) {
    const std::string r_path = Index(Child(path, "remediations"), i);
    const Json& r = (*remediations)[i];
    RETURN_IF_ERROR(ExpectObject(r, r_path));
    v1::Remediation& remediation = *out.add_remediations();
    ASSIGN_OR_RETURN(std::string category, RequiredString(r, r_path, "category"));
    ASSIGN_OR_RETURN(std::string details, RequiredString(r, r_path, "details"));
    ASSIGN_OR_RETURN(std::string url, OptionalString(r, r_path, "url"));
    remediation.set_category(category);
    remediation.set_details(details);
    remediation.set_url(url);
    RETURN_IF_ERROR(ReadStringList(r, r_path, "product_ids", *remediation.mutable_product_ids()));
    RETURN_IF_ERROR(CheckProductIds(remediation.product_ids(), Child(r_path, "product_ids"), defined));
  }

  ASSIGN_OR_RETURN(const Json* scores, OptionalArray(item, path, "scores"));
  for (std::size_t i = 0; i < scores->size(); ++i) {
    const std::string s_path = Index(Child(path, "scores"), i);
    const Json& s = (*scores)[i];
    RETURN_IF_ERROR(ExpectObject(s, s_path));
    ASSIGN_OR_RETURN(const Json* cvss, OptionalObject(s, s_path, "cvss_v3"));
    if (cvss == nullptr) continue;  // cvss_v2 only: not read.
    const std::string c_path = Child(s_path, "cvss_v3");
    const Json* base = Find(*cvss, "baseScore");
    if (base == nullptr) return Invalid(Child(c_path, "baseScore"), "missing");
    if (!base->is_number()) return Invalid(Child(c_path, "baseScore"), "must be a number");
    const double base_score = base->get<double>();
    if (!(base_score >= 0.0 && base_score <= 10.0)) return Invalid(Child(c_path, "baseScore"), "must be 0–10");
    ASSIGN_OR_RETURN(std::string vector, RequiredString(*cvss, c_path, "vectorString"));
    v1::CvssV3Score& score = *out.add_scores();
    score.set_base_score(base_score);
    score.set_vector(vector);
    RETURN_IF_ERROR(ReadStringList(s, s_path, "products", *score.mutable_product_ids()));
    RETURN_IF_ERROR(CheckProductIds(score.product_ids(), Child(s_path, "products"), defined));
  }
  return absl::OkStatus();
}

absl::StatusOr<Json> ParseJson(absl::string_view text) {
  if (text.size() > kMaxCsafBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("CSAF file: ", text.size(), " bytes, more than the limit of ", kMaxCsafBytes, " bytes (16 MiB)"));
  }
  if (NestingDepth(text, kMaxCsafNestingDepth) > kMaxCsafNestingDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("CSAF file: JSON nested deeper than ", kMaxCsafNestingDepth, " levels"));
  }
  // Exceptions stay inside this function.
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("CSAF file: not JSON: ", e.what()));
  }
}

}  // namespace

absl::StatusOr<v1::Advisory> ParseCsafAdvisory(absl::string_view text) {
  ASSIGN_OR_RETURN(Json parsed, ParseJson(text));
  const Json& root = parsed;
  if (!root.is_object()) return Invalid("(root)", "must be an object");

  v1::Advisory advisory;
  ASSIGN_OR_RETURN(const Json* document, RequiredObject(root, "", "document"));
  const Json* csaf_version = Find(*document, "csaf_version");
  if (csaf_version == nullptr) return Invalid("document.csaf_version", "missing");
  if (!csaf_version->is_string()) return Invalid("document.csaf_version", "must be a string");
  if (csaf_version->get<std::string>() != "2.0") {
    return Invalid("document.csaf_version", absl::StrCat("\"", Utf8Prefix(csaf_version->get<std::string>(), 16),
                                                         "\" is not supported (only 2.0)"));
  }
  ASSIGN_OR_RETURN(std::string title, RequiredString(*document, "document", "title"));
  advisory.set_title(title);
  ASSIGN_OR_RETURN(const Json* publisher, RequiredObject(*document, "document", "publisher"));
  ASSIGN_OR_RETURN(std::string publisher_name, RequiredString(*publisher, "document.publisher", "name"));
  advisory.set_publisher(publisher_name);

  ASSIGN_OR_RETURN(const Json* tracking, RequiredObject(*document, "document", "tracking"));
  ASSIGN_OR_RETURN(std::string id, RequiredString(*tracking, "document.tracking", "id"));
  if (id.size() > 128) return Invalid("document.tracking.id", "longer than 128 characters");
  advisory.set_tracking_id(id);
  ASSIGN_OR_RETURN(std::string version, RequiredString(*tracking, "document.tracking", "version"));
  if (version.size() > kMaxVersionLength) return Invalid("document.tracking.version", "too long");
  advisory.set_version(version);
  ASSIGN_OR_RETURN(std::string current, RequiredString(*tracking, "document.tracking", "current_release_date"));
  RETURN_IF_ERROR(
      ReadTimestamp(current, "document.tracking.current_release_date", *advisory.mutable_current_release_date()));
  ASSIGN_OR_RETURN(std::string initial, OptionalString(*tracking, "document.tracking", "initial_release_date"));
  if (!initial.empty()) {
    RETURN_IF_ERROR(
        ReadTimestamp(initial, "document.tracking.initial_release_date", *advisory.mutable_initial_release_date()));
  }

  ProductTreeReader products(advisory);
  ASSIGN_OR_RETURN(const Json* tree, OptionalObject(root, "", "product_tree"));
  if (tree != nullptr) RETURN_IF_ERROR(products.Read(*tree, "product_tree"));

  ASSIGN_OR_RETURN(const Json* vulnerabilities, OptionalArray(root, "", "vulnerabilities"));
  if (static_cast<int>(vulnerabilities->size()) > kMaxCsafVulnerabilities) {
    return Invalid("vulnerabilities", absl::StrCat("more than ", kMaxCsafVulnerabilities, " vulnerabilities"));
  }
  for (std::size_t i = 0; i < vulnerabilities->size(); ++i) {
    RETURN_IF_ERROR(ReadVulnerability((*vulnerabilities)[i], Index("vulnerabilities", i), products.product_ids(),
                                      *advisory.add_vulnerabilities()));
  }
  advisory.set_sha512(Sha512Hex(text));
  return advisory;
}

int CompareAdvisoryRevisions(const v1::Advisory& a, const v1::Advisory& b) {
  const int by_version = CompareVersionsNaturally(a.version(), b.version());
  if (by_version != 0) return by_version;
  const auto& x = a.current_release_date();
  const auto& y = b.current_release_date();
  if (x.seconds() != y.seconds()) return x.seconds() < y.seconds() ? -1 : 1;
  if (x.nanos() != y.nanos()) return x.nanos() < y.nanos() ? -1 : 1;
  return 0;
}

}  // namespace pumptrack::advisories
