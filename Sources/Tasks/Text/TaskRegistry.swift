/// The text tasks known to the harness, looked up by name in either spelling
/// (`country_capital` or `country-capital`); lookups return the canonical file-name spelling.
public struct TaskRegistry: Sendable {
    public let tasks: [TextTask]
    private let byKey: [String: TextTask]

    /// - Precondition: no two tasks share a lookup key (that would be a programming error).
    public init(tasks: [TextTask]) {
        self.tasks = tasks
        var byKey: [String: TextTask] = [:]
        for task in tasks {
            let key = Self.lookupKey(task.name)
            precondition(byKey[key] == nil, "tasks \(byKey[key]!.name) and \(task.name) share the key \(key)")
            byKey[key] = task
        }
        self.byKey = byKey
    }

    /// The 57 tasks of the SITE paper (datasets/site57), in file-name order.
    public static let site57 = TaskRegistry(tasks: site57Names.map { name in
        // The answer of these tasks is a change of letter case, so scoring must not fold case.
        TextTask(name: name, preservesCase: name.contains("capitalize") || name.contains("lowercase"))
    })

    /// The task called `name` (`-`/`_` and letter case do not matter).
    /// - Throws: `TaskError.unknownTask`.
    public func task(named name: String) throws -> TextTask {
        guard let task = byKey[Self.lookupKey(name)] else {
            throw TaskError.unknownTask(name: name, known: tasks.map(\.name))
        }
        return task
    }

    /// Folds the two spellings found in the wild onto one key.
    static func lookupKey(_ name: String) -> String {
        name.lowercased().replacingOccurrences(of: "-", with: "_")
    }

    /// Folder names of datasets/site57, as SOURCE.md lists them.
    public static let site57Names: [String] = [
        "adjective_v_verb_3", "adjective_v_verb_5", "ag_news", "alphabetically_first_3",
        "alphabetically_first_5", "alphabetically_last_3", "alphabetically_last_5", "animal_v_object_3",
        "animal_v_object_5", "antonym", "capitalize", "capitalize_first_letter", "capitalize_last_letter",
        "capitalize_second_letter", "choose_first_of_3", "choose_first_of_5", "choose_last_of_3",
        "choose_last_of_5", "choose_middle_of_3", "choose_middle_of_5", "color_v_animal_3",
        "color_v_animal_5", "commonsense_qa", "concept_v_object_3", "concept_v_object_5",
        "conll2003_location", "conll2003_organization", "conll2003_person", "country-capital",
        "country-currency", "english-french", "english-german", "english-spanish", "fruit_v_animal_3",
        "fruit_v_animal_5", "landmark-country", "lowercase_first_letter", "lowercase_last_letter",
        "national_parks", "next_capital_letter", "next_item", "object_v_concept_3", "object_v_concept_5",
        "park-country", "person-instrument", "person-occupation", "person-sport", "present-past",
        "prev_item", "product-company", "sentiment", "singular-plural", "squad_val", "synonym",
        "verb_v_adjective_3", "verb_v_adjective_5", "word_length",
    ]
}
