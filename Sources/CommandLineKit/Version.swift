/// The version every command reports.
public let toolVersion = "0.1.0"
