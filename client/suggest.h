// SPDX-License-Identifier: GPL-2.0-or-later
// "did you mean X?" for a mistyped command: the closest name by edit distance.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dialupctl {

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring letters, one each.
size_t editDistance(std::string_view a, std::string_view b);

// The candidate nearest `word`, if one is near enough to be what was meant (at most 2 edits,
// and fewer than the word's length: "x" suggests nothing); the first of equals wins.
std::optional<std::string> closestName(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace dialupctl
