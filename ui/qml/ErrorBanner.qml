import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts

// A non-blocking error message at the bottom of the window; it fades after a while.
Pane {
    id: banner
    property string message

    function show(text) { message = text; visible = true; hideTimer.restart() }

    visible: false
    Material.background: "#8e2430"
    Material.elevation: 6
    padding: 12

    RowLayout {
        anchors.fill: parent
        Label {
            text: banner.message
            wrapMode: Text.Wrap
            color: "white"
            Layout.fillWidth: true
        }
        Button { text: qsTr("Dismiss"); flat: true; onClicked: banner.visible = false }
    }

    Timer { id: hideTimer; interval: 12000; onTriggered: banner.visible = false }
}
