import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts

// A calm, non-blocking note of what was just done, with the way back; it fades after a while.
Pane {
    id: banner
    property string message
    signal undo()

    function show(text) { message = text; visible = true; hideTimer.restart() }

    visible: false
    Material.elevation: 6
    padding: 10

    RowLayout {
        anchors.fill: parent
        Label { text: banner.message; elide: Text.ElideMiddle; Layout.fillWidth: true }
        Button { text: qsTr("Undo"); flat: true; onClicked: { banner.visible = false; banner.undo() } }
        Button { text: qsTr("Dismiss"); flat: true; onClicked: banner.visible = false }
    }

    Timer { id: hideTimer; interval: 10000; onTriggered: banner.visible = false }
}
