// Following next_page_token through a paged List RPC.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/ids.h"

namespace pumptrack::cli {

inline constexpr std::size_t kMaxPageSize = ids::kMaxPageSize;

// With a limit below the server's default page size, ask for no more than needed.
inline int32_t PageSizeFor(int32_t requested, const std::optional<std::size_t>& limit) {
  if (requested != 0 || !limit) return requested;
  return static_cast<int32_t>(std::min(*limit, kMaxPageSize));
}

// Calls `fetch_page(page_token)` (returning absl::StatusOr<Response>) from the first page on and hands each page to
// `handle_page(Response&)`, until the last page or until `handle_page` returns false. Fails with the first failed
// page's error, or INTERNAL if the server repeats a page token.
template <typename Response, typename FetchPage, typename HandlePage>
absl::Status ForEachPage(FetchPage fetch_page, HandlePage handle_page) {
  std::string page_token;
  while (true) {
    absl::StatusOr<Response> page = fetch_page(page_token);
    if (!page.ok()) return page.status();
    if (!handle_page(*page) || page->next_page_token().empty()) return absl::OkStatus();
    if (page->next_page_token() == page_token) {
      return absl::InternalError("the server returned the same page token twice; stopping");
    }
    page_token = page->next_page_token();
  }
}

// Collects every page's items (`take_items(page)`, a repeated field to move from) until the last page or until `limit`
// items are collected.
template <typename Item, typename Response, typename FetchPage, typename TakeItems>
absl::StatusOr<std::vector<Item>> CollectPages(const std::optional<std::size_t>& limit, FetchPage fetch_page,
                                               TakeItems take_items) {
  auto reached = [&limit](std::size_t count) { return limit && count >= *limit; };
  std::vector<Item> items;
  auto collect = [&](Response& page) {
    for (Item& item : take_items(page)) {
      if (reached(items.size())) break;
      items.push_back(std::move(item));
    }
    return !reached(items.size());
  };
  absl::Status status = ForEachPage<Response>(fetch_page, collect);
  if (!status.ok()) return status;
  return items;
}

}  // namespace pumptrack::cli
