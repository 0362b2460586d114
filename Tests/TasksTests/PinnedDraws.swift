/// Demonstration indices the sampler drew when the seeding scheme was fixed (antonym, test
/// item 0, seed 1, 3 shots). If this changes, every published prompt set changes with it.
enum PinnedDraws {
    static let antonymTest0Seed1Shots3: [Int] = [382, 590, 603]
}
