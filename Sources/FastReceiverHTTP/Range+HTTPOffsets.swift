extension Range<Int> {
    /// The range moved down by `distance`, for offsets into a buffer whose front was dropped.
    func shifted(by distance: Int) -> Range<Int> {
        (lowerBound - distance)..<(upperBound - distance)
    }
}
