/// How the torch worker loads a model (PROTOCOL.md, `load`).
public struct TorchLoadOptions: Sendable, Equatable {
    public enum Device: String, Sendable, CaseIterable { case cpu, cuda, auto }
    public enum DType: String, Sendable, CaseIterable { case float32, bfloat16, float16 }

    public var device: Device
    public var dtype: DType
    /// bitsandbytes NF4 with compute in `dtype` (needs CUDA).
    public var loadIn4bit: Bool
    /// accelerate's placement over several GPUs ("auto", "balanced", "sequential"); nil: one device.
    public var deviceMap: String?
    /// The most memory accelerate may use per device, e.g. ["0": "70GiB", "cpu": "100GiB"].
    public var maxMemory: [String: String]
    /// torch's CPU threads (nil: torch's choice).
    public var threads: Int?

    public init(
        device: Device = .cpu, dtype: DType = .float32, loadIn4bit: Bool = false, deviceMap: String? = nil,
        maxMemory: [String: String] = [:], threads: Int? = nil
    ) {
        self.device = device
        self.dtype = dtype
        self.loadIn4bit = loadIn4bit
        self.deviceMap = deviceMap
        self.maxMemory = maxMemory
        self.threads = threads
    }

    /// The backend's settings for result rows and artifacts: what changes the numbers (device,
    /// dtype, quantisation), not where the layers sit (device map, memory, threads).
    public var settings: [String: String] {
        var settings = ["backend": "torch", "device": device.rawValue, "dtype": dtype.rawValue]
        if loadIn4bit { settings["load_in_4bit"] = "true" }
        return settings
    }

    /// The `load` request's fields besides `model`.
    var fields: [String: Any] {
        var fields: [String: Any] = ["device": device.rawValue, "dtype": dtype.rawValue, "load_in_4bit": loadIn4bit]
        if let deviceMap { fields["device_map"] = deviceMap }
        if !maxMemory.isEmpty { fields["max_memory"] = maxMemory }
        if let threads { fields["threads"] = threads }
        return fields
    }
}
