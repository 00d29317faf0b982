import QtQuick
import QtQuick.Controls

// A gallery filter over one facet of the index (GalleryModel.facets): "any", then each value
// with how many images have it. The value in use stays listed (with 0) when no image has it
// any more, so the box always shows what filters the grid.
FittedComboBox {
    id: filter
    property string anyText
    property var facet: []  // [{ value, count }], most common first
    property string value   // the one in use, "" for any: bind it to the model's filter

    function choices(anyText, facet, value) {
        const listed = [{ text: anyText, value: "" }].concat(
            facet.map(item => ({ text: qsTr("%1 (%2)").arg(item.value).arg(item.count), value: item.value })))
        if (value !== "" && !facet.some(item => item.value === value))
            listed.push({ text: qsTr("%1 (0)").arg(value), value: value })
        return listed
    }

    function showValue() { currentIndex = model.findIndex(choice => choice.value === value) }

    textRole: "text"
    valueRole: "value"
    model: choices(anyText, facet, value)
    width: Math.min(implicitWidth, 280)  // a long model name is elided
    // The box keeps its index when the list changes, and a list equal to the last one does not
    // count as a change: both are followed.
    onModelChanged: showValue()
    onValueChanged: showValue()
}
