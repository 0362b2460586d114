import Foundation

/// The safetensors weights of a Hugging Face model folder: either one `model.safetensors` or
/// `model.safetensors.index.json` (`{"weight_map": {tensor: shard file}}`) plus its shards.
public struct ShardedSafetensors: Sendable {
    public let folder: URL
    /// Every tensor name, sorted.
    public let tensorNames: [String]
    private let files: [SafetensorsFile]
    private let location: [String: Int]  // tensor name → index into `files`

    public static let singleFileName = "model.safetensors"
    public static let indexFileName = "model.safetensors.index.json"

    public init(folder: URL) throws(ModelFormatError) {
        self.folder = folder
        let fileManager = FileManager.default
        let indexURL = folder.appendingPathComponent(Self.indexFileName)
        let singleURL = folder.appendingPathComponent(Self.singleFileName)
        var files: [SafetensorsFile] = []
        var location: [String: Int] = [:]

        if fileManager.fileExists(atPath: indexURL.path) {
            let weightMap = try Self.readWeightMap(indexURL)
            var shardIndex: [String: Int] = [:]
            for (tensor, shard) in weightMap.sorted(by: { $0.key < $1.key }) {
                let position: Int
                if let known = shardIndex[shard] {
                    position = known
                } else {
                    let shardURL = folder.appendingPathComponent(shard)
                    guard !shard.contains("/"), fileManager.fileExists(atPath: shardURL.path) else {
                        throw .missingShard(path: indexURL.path, shard: shard, tensor: tensor)
                    }
                    files.append(try SafetensorsFile(contentsOf: shardURL))
                    position = files.count - 1
                    shardIndex[shard] = position
                }
                guard files[position].tensors[tensor] != nil else {
                    throw .missingTensor(path: files[position].path, tensor: tensor)
                }
                location[tensor] = position
            }
        } else if fileManager.fileExists(atPath: singleURL.path) {
            let file = try SafetensorsFile(contentsOf: singleURL)
            files = [file]
            for name in file.tensors.keys { location[name] = 0 }
        } else {
            throw .noSafetensors(path: folder.path)
        }
        self.files = files
        self.location = location
        tensorNames = location.keys.sorted()
    }

    private static func readWeightMap(_ url: URL) throws(ModelFormatError) -> [String: String] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .cannotOpen(path: url.path, reason: error.localizedDescription)
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw .invalidHeader(path: url.path, reason: "bad JSON (\(error.localizedDescription))")
        }
        guard let object = json as? [String: Any], let map = object["weight_map"] as? [String: Any] else {
            throw .invalidHeader(path: url.path, reason: "no weight_map object")
        }
        var result: [String: String] = [:]
        for (tensor, shard) in map {
            guard let shard = shard as? String else {
                throw .invalidHeader(path: url.path, reason: "weight_map entry '\(tensor)' is not a file name")
            }
            result[tensor] = shard
        }
        return result
    }

    /// The file holding `name` and its entry there.
    /// - Throws: `missingTensor` naming the folder.
    public func info(named name: String) throws(ModelFormatError) -> (file: SafetensorsFile, info: SafetensorsTensorInfo) {
        guard let position = location[name] else { throw .missingTensor(path: folder.path, tensor: name) }
        let file = files[position]
        return (file, try file.info(named: name))
    }

    /// The tensor's elements converted to Float, row-major.
    public func floats(named name: String) throws(ModelFormatError) -> [Float] {
        let (file, info) = try info(named: name)
        return try file.floats(of: info)
    }

    /// Whether some shard holds `name`.
    public func contains(_ name: String) -> Bool { location[name] != nil }
}
