/// One entry of a projection's model: a table, and the key within it.
///
/// A key owns every physical row of its table whose key column holds `id`: a campaign's
/// state is one row, its promotion scores are many. The fold sees them as one value.
public struct ProjectionKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let table: String
    public let id: String

    public init(_ table: String, _ id: String) {
        self.table = table
        self.id = id
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.table, lhs.id) < (rhs.table, rhs.id)
    }

    public var description: String { "\(table)[\(id)]" }
}

/// What the runtime loads before an event is folded.
public enum RowSelection: Hashable, Sendable {
    /// One key, present or not.
    case key(ProjectionKey)
    /// Every key of `table` whose boolean column `column` is true, for an event that
    /// touches a set it cannot name (a clock tick rescores every active campaign).
    ///
    /// The same ids are loaded from each of `companions` (a campaign's scores beside
    /// its state). The fold may rely on all such keys being loaded, plus every key any
    /// event of the batch selected. So a key may only *gain* the flag through an event
    /// that selects that key, and its companions, itself.
    case flagged(table: String, column: String, companions: [String] = [])
}

/// One key's value before and after a batch (nil: no row).
public struct RowChange<Row: Equatable & Sendable>: Equatable, Sendable {
    public let before: Row?
    public let after: Row?

    public init(before: Row?, after: Row?) {
        self.before = before
        self.after = after
    }
}
