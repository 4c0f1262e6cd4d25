// kinds.js - the kinds of things an account holds, by their keys in a
// Vault v3 bundle (docs/vault-v3.md), in words; and a problem's JSON
// path ($.quests[12].status) as a person reads it.
const NAMES = {
	quests: "Quests", scheduleRules: "Schedule rules",
	planTemplates: "Plan templates", skillTree: "Skill tree",
	rewardLedger: "Rewards", logEvents: "Event log",
	focusSessions: "Focus sessions", projects: "Projects",
	referenceLibraries: "Reference libraries",
	referenceTracks: "Reference tracks", infobase: "Notes (infobase)",
	laneTemplates: "Lane templates", settings: "Settings", blobs: "Files",
};

export function kindName(key) {
	return NAMES[key] || key.replace(/([A-Z])/g, " $1").replace(/^./,
	    (c) => c.toUpperCase());
}

// "$.quests[12].status" → "Quests, item 13: the field “status”";
// a zip member's name → "the file “…” in the bundle".
export function where(path) {
	const m = /^\$\.([A-Za-z]+)(?:\[(\d+)\])?((?:\.[^.[]+|\[\d+\])*)$/.exec(path || "");
	if (!m)
		return path && path !== "$" ? "the file “" + path + "” in the bundle" : "the bundle";
	let s = kindName(m[1]);
	if (m[2] !== undefined)
		s += ", item " + (Number(m[2]) + 1);
	if (m[3])
		s += ": the field “" + m[3].replace(/^\./, "").replace(/\[(\d+)\]/g,
		    (_, i) => " #" + (Number(i) + 1)) + "”";
	return s;
}
