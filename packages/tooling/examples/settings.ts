import { loadSettings, resourceNames, sampleNames } from "@fanout/tooling";

// Throws a ValidationError naming each bad field (and each broken cross-setting rule).
const settings = loadSettings("terraform/environments/dev.tfvars.json");
console.log(resourceNames(settings).tasksQueue); // "fanout-tasks"
console.log(sampleNames(3)); // the first three hostile names: quotes, backslashes, newlines
