import QtQuick
import QtQuick.Controls

// The VAE a generation uses (GenerationParams::vae): "Automatic" (a VAE beside the model named
// like it, else the model's own, as A1111's Automatic), "None" (the model's own), or one of the
// library's VAEs by file name. A chosen name the library does not hold (a recalled image's)
// stays listed, marked, so the form still says what it will ask for.
ComboBox {
    id: picker
    property var vaes: []       // the library's VAE file names
    property string value: "auto"

    function choices(vaes, value) {
        const listed = [{ text: qsTr("Automatic"), value: "auto" }, { text: qsTr("None"), value: "none" }]
            .concat(vaes.map(name => ({ text: name, value: name })))
        if (!listed.some(choice => choice.value === value))
            listed.push({ text: qsTr("%1 (not in the library)").arg(value), value: value })
        return listed
    }
    // "Automatic" and "None" as A1111's settings and infotexts spell them, or a file name.
    function choose(vae) {
        const lower = String(vae).toLowerCase()
        value = lower === "" || lower === "automatic" || lower === "auto" ? "auto" : lower === "none" ? "none" : vae
    }
    function listed(vae) { return vae === "auto" || vae === "none" || vaes.includes(vae) }
    function showValue() { currentIndex = model.findIndex(choice => choice.value === value) }

    textRole: "text"
    valueRole: "value"
    model: choices(vaes, value)
    onModelChanged: showValue()
    onValueChanged: showValue()
    onActivated: index => value = model[index].value
}
